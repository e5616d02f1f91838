"""Portable column types: UTC datetimes, exact money, JSON, string enums, uuid ids.

Every type here behaves the same on SQLite and PostgreSQL, so services never branch on
the dialect. Alembic renders them as ``db_types.<Name>()`` (see ``migrations/env.py``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, CheckConstraint, DateTime, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "MAX_BUDGET",
    "MONEY_PLACES",
    "JSONType",
    "Money",
    "StrEnumType",
    "UTCDateTime",
    "enum_check",
    "new_id",
    "utcnow",
]

MONEY_PLACES = 10
"""Decimal places kept for every money value (``Numeric(20, 10)``)."""

E = TypeVar("E", bound=StrEnum)

_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)
_MONEY_LIMIT = Decimal(10) ** (20 - MONEY_PLACES)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A new primary key: a random UUID as a 36-character string."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes in, timezone-aware UTC datetimes out.

    Naive datetimes are refused on write. SQLite keeps no offset, so values are stored
    there as naive UTC (sortable text) and marked UTC again when read.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def __repr__(self) -> str:
        return "UTCDateTime()"

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("naive datetime: pass a timezone-aware value (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


MAX_BUDGET = Decimal(100_000_000)
"""The largest budget (USD) a key, user, team or organization may have: well inside what
a money column holds exactly on every backend, with room for spend beyond it."""


class Money(TypeDecorator[Decimal]):
    """An exact amount of money as :class:`~decimal.Decimal`, 10 decimal places.

    PostgreSQL stores ``NUMERIC(20, 10)``. SQLite has no exact decimal type (its NUMERIC
    keeps 15 digits, like a float), so there the value is stored as a scaled ``BIGINT``
    (units of 1e-10): ``+``, ``-``, ``SUM`` and comparisons stay exact in SQL, and the
    largest amount is about 9.2e8. Floats are refused: money is Decimal end to end.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(precision=20, scale=MONEY_PLACES, asdecimal=True)

    def __repr__(self) -> str:
        return "Money()"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(20, MONEY_PLACES, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | int | None:
        if value is None:
            return None
        if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
            raise TypeError(f"money must be a Decimal or an int, not {type(value).__name__}")
        amount = Decimal(value).quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_UP)
        if abs(amount) >= _MONEY_LIMIT:
            raise ValueError(f"money amount out of range: {amount}")
        if dialect.name == "sqlite":
            return int(amount.scaleb(MONEY_PLACES))
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-MONEY_PLACES)
        return value if isinstance(value, Decimal) else Decimal(str(value))


class JSONType(TypeDecorator[Any]):
    """JSON (lists, maps): ``JSONB`` on PostgreSQL, ``JSON`` text on SQLite.

    Python ``None`` is stored as SQL ``NULL``. In-place mutation is not tracked: assign
    a new list or dict to change a value.
    """

    impl = JSON
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(none_as_null=True)

    def __repr__(self) -> str:
        return "JSONType()"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))


class StrEnumType(TypeDecorator[E]):
    """A :class:`~enum.StrEnum` stored as a plain ``VARCHAR`` (no native enum type).

    Writes validate the value; reads return enum members. Pair it with
    :func:`enum_check` for a database-side CHECK constraint.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type[E], length: int = 32) -> None:
        super().__init__(length=length)
        self.enum_cls = enum_cls
        self.length = length

    def __repr__(self) -> str:
        return f"StrEnumType({self.enum_cls.__name__}, length={self.length})"

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_cls(value)


def enum_check(column: str, enum_cls: type[StrEnum]) -> CheckConstraint:
    """A portable CHECK constraint keeping ``column`` within the enum's values.

    Named after the column; the metadata naming convention prefixes ``ck_<table>_``.
    """
    values = ", ".join(f"'{member.value}'" for member in enum_cls)
    return CheckConstraint(f"{column} IN ({values})", name=column)
