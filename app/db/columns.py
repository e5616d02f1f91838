"""Shared column groups for table models, and the constraint naming convention.

Importing this module sets the naming convention on ``SQLModel.metadata``, so every
constraint and index gets a stable name (Alembic needs names to alter SQLite tables).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import BigInteger, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.db.types import JSONType, Money, UTCDateTime, new_id, utcnow

__all__ = [
    "NAMING_CONVENTION",
    "BudgetColumns",
    "Entity",
    "LimitColumns",
    "Timestamps",
    "fk_field",
    "json_field",
    "money_field",
    "page_order",
    "time_field",
]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

ID_LENGTH = 36

OnDelete = Literal["CASCADE", "SET NULL", "RESTRICT"]


def json_field(default_factory: Callable[[], Any] | None = None, **kwargs: Any) -> Any:
    """A JSON column; with ``default_factory`` (``list``/``dict``) it is NOT NULL."""
    if default_factory is None:
        return Field(default=None, sa_type=JSONType, nullable=True, **kwargs)
    return Field(default_factory=default_factory, sa_type=JSONType, nullable=False, **kwargs)


def money_field(*, nullable: bool = False, **kwargs: Any) -> Any:
    """A :class:`Money` column: NOT NULL defaulting to 0, or nullable defaulting to None."""
    if nullable:
        return Field(default=None, sa_type=Money, nullable=True, **kwargs)
    return Field(default=Decimal(0), sa_type=Money, nullable=False, **kwargs)


def time_field(*, nullable: bool = True, **kwargs: Any) -> Any:
    """A :class:`UTCDateTime` column (nullable unless said otherwise)."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, **kwargs)
    return Field(sa_type=UTCDateTime, nullable=False, **kwargs)


def fk_field(target: str, *, ondelete: OnDelete, nullable: bool = True, **kwargs: Any) -> Any:
    """A uuid-string foreign key to ``target`` (``"table.id"``) with explicit ON DELETE."""
    if nullable:
        kwargs["default"] = None
    return Field(
        foreign_key=target,
        ondelete=ondelete,
        nullable=nullable,
        sa_type=String(ID_LENGTH),
        **kwargs,
    )


class Entity(SQLModel):
    """A uuid-string primary key."""

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=String(ID_LENGTH))


class Timestamps(SQLModel):
    """``created_at`` and ``updated_at`` (set on every UPDATE, ORM or Core)."""

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class BudgetColumns(SQLModel):
    """A budget: hard and soft limits, reset period, the current period's spend.

    ``budget_duration`` is ``30s``, ``1h``, ``1d``, ``7d`` or ``1mo`` (calendar month);
    ``None`` means the budget never resets. ``None`` budgets mean "no limit".
    """

    max_budget: Decimal | None = money_field(nullable=True)
    soft_budget: Decimal | None = money_field(nullable=True)
    budget_duration: str | None = Field(default=None, sa_type=String(16), nullable=True)
    budget_reset_at: datetime | None = time_field()
    spend: Decimal = money_field()


class LimitColumns(SQLModel):
    """Rate limits: requests and tokens per minute, concurrent requests (``None``: none)."""

    rpm_limit: int | None = Field(default=None, sa_type=Integer, nullable=True)
    tpm_limit: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    max_parallel_requests: int | None = Field(default=None, sa_type=Integer, nullable=True)


def page_order(table: str) -> Index:
    """The index lists are paged along (``created_at``, ``id``): a page is read in order
    from it instead of sorting the whole table."""
    return Index(f"ix_{table}_created_at_id", "created_at", "id")
