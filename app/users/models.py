"""Tables for people: users who sign in, their memberships, and API end users.

Roles are :class:`~enum.StrEnum` values stored as strings and kept valid by CHECK
constraints. E-mail addresses are stored lowercased (a CHECK enforces it), so the unique
constraint is case-insensitive.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, String, UniqueConstraint
from sqlmodel import Field

from app.db.columns import (
    BudgetColumns,
    Entity,
    LimitColumns,
    Timestamps,
    fk_field,
    json_field,
    page_order,
    time_field,
)
from app.db.types import StrEnumType, enum_check

__all__ = [
    "EndUser",
    "OrgMembership",
    "OrgRole",
    "PlatformRole",
    "TeamMembership",
    "TeamRole",
    "User",
]


class PlatformRole(StrEnum):
    """What a user may do across the whole gateway."""

    PLATFORM_ADMIN = "platform_admin"
    PLATFORM_CO_ADMIN = "platform_co_admin"
    ORG_USER = "org_user"


class OrgRole(StrEnum):
    """A user's role inside one organization."""

    ORG_OWNER = "org_owner"
    ORG_ADMIN = "org_admin"
    ORG_BILLING = "org_billing"
    ORG_AUDITOR = "org_auditor"
    ORG_MEMBER = "org_member"


class TeamRole(StrEnum):
    """A user's role inside one team."""

    TEAM_ADMIN = "team_admin"
    TEAM_DEVELOPER = "team_developer"
    TEAM_VIEWER = "team_viewer"


class User(Entity, BudgetColumns, LimitColumns, Timestamps, table=True):
    """A person who signs in to the console or owns keys."""

    __tablename__ = "users"
    __table_args__ = (
        page_order("users"),
        enum_check("platform_role", PlatformRole),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    email: str = Field(sa_type=String(320), unique=True)
    display_name: str | None = Field(default=None, sa_type=String(255))
    password_hash: str | None = Field(default=None, sa_type=String(255))
    platform_role: PlatformRole = Field(
        default=PlatformRole.ORG_USER, sa_type=StrEnumType(PlatformRole)
    )
    blocked: bool = False
    must_change_password: bool = False
    mfa_secret_encrypted: str | None = Field(default=None, sa_type=String(512))
    mfa_enabled: bool = False
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    """The last TOTP time step accepted: a code of this step or an earlier one is refused."""
    failed_login_count: int = 0
    locked_until: datetime | None = time_field()
    last_login_at: datetime | None = time_field()
    metadata_: dict[str, Any] = json_field(dict, sa_column_kwargs={"name": "metadata"})


class OrgMembership(Entity, Timestamps, table=True):
    """A user's membership of an organization, with one role."""

    __tablename__ = "org_memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_id"), enum_check("role", OrgRole))

    user_id: str = fk_field("users.id", ondelete="CASCADE", nullable=False)
    org_id: str = fk_field("organizations.id", ondelete="CASCADE", nullable=False, index=True)
    role: OrgRole = Field(default=OrgRole.ORG_MEMBER, sa_type=StrEnumType(OrgRole))


class TeamMembership(Entity, Timestamps, table=True):
    """A user's membership of a team, with one role."""

    __tablename__ = "team_memberships"
    __table_args__ = (UniqueConstraint("user_id", "team_id"), enum_check("role", TeamRole))

    user_id: str = fk_field("users.id", ondelete="CASCADE", nullable=False)
    team_id: str = fk_field("teams.id", ondelete="CASCADE", nullable=False, index=True)
    role: TeamRole = Field(default=TeamRole.TEAM_DEVELOPER, sa_type=StrEnumType(TeamRole))


class EndUser(Entity, BudgetColumns, Timestamps, table=True):
    """The caller's own customer (``user`` / ``x-deltallm-end-user-id``), for spend and budgets."""

    __tablename__ = "end_users"
    __table_args__ = (page_order("end_users"),)

    external_id: str = Field(sa_type=String(255), unique=True)
    blocked: bool = False
