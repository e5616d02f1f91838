"""Tables of the tenancy hierarchy: organizations and their teams.

Both carry a budget, rate limits and an allow-list of models; an empty ``models`` list
means "no restriction at this level".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from app.db.columns import (
    BudgetColumns,
    Entity,
    LimitColumns,
    Timestamps,
    fk_field,
    json_field,
    page_order,
)

__all__ = ["Organization", "Team"]


class Organization(Entity, BudgetColumns, LimitColumns, Timestamps, table=True):
    """A tenant: owns teams, members and keys. Deleting one is refused while it has teams."""

    __tablename__ = "organizations"
    __table_args__ = (page_order("organizations"),)

    name: str = Field(sa_type=String(255), unique=True)
    slug: str = Field(sa_type=String(100), unique=True)
    models: list[str] = json_field(list)
    metadata_: dict[str, Any] = json_field(dict, sa_column_kwargs={"name": "metadata"})
    blocked: bool = False


class Team(Entity, BudgetColumns, LimitColumns, Timestamps, table=True):
    """A group inside an organization; its name is unique within the organization."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    org_id: str = fk_field("organizations.id", ondelete="RESTRICT", nullable=False)
    name: str = Field(sa_type=String(255))
    models: list[str] = json_field(list)
    metadata_: dict[str, Any] = json_field(dict, sa_column_kwargs={"name": "metadata"})
    blocked: bool = False
    guardrails: list[str] = json_field(list)
    """Guardrails that run on every call made with one of the team's keys."""
