"""Keyset pagination for Relay-style connections: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, func, or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.errors import BadRequestError

__all__ = ["MAX_PAGE", "Page", "paginate"]

MAX_PAGE = 100
T = TypeVar("T", bound=SQLModel)
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    items: Sequence[Item]
    total: int | None
    """How many rows the query has in all (None: not counted, as asked)."""
    has_next: bool
    cursors: Sequence[str]


def _cursor(value: datetime | Decimal | None, row_id: str) -> str:
    """``<value>|<id>``: a datetime as ISO text, a decimal as ``n:<digits>``, null as ``~``."""
    if value is None:
        text = "~"
    elif isinstance(value, Decimal):
        text = f"n:{value}"
    else:
        text = value.isoformat()
    return base64.urlsafe_b64encode(f"{text}|{row_id}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime | Decimal | None, str]:
    try:
        text, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        if text == "~":
            return None, row_id
        if text.startswith("n:"):
            return Decimal(text[2:]), row_id
        return datetime.fromisoformat(text), row_id
    except (ValueError, UnicodeDecodeError, ArithmeticError):
        raise BadRequestError("`after` is not a cursor this API gave out.", param="after") from None


def _after(column: Any, ident: Any, value: Any, row_id: str, descending: bool) -> Any:
    """Rows after (``value``, ``row_id``) in the order: nulls count as the largest value
    (last going up, first going down), as PostgreSQL orders them by default."""
    if descending:
        if value is None:
            return or_(column.is_not(None), and_(column.is_(None), ident < row_id))
        return or_(column < value, and_(column == value, ident < row_id))
    if value is None:
        return and_(column.is_(None), ident > row_id)
    return or_(column > value, and_(column == value, ident > row_id), column.is_(None))


async def paginate(
    session: AsyncSession,
    query: SelectOfScalar[T],
    model: type[T],
    *,
    first: int,
    after: str | None,
    order_by: str = "created_at",
    newest_first: bool = False,
    count: bool = True,
) -> Page[T]:
    """One page of ``query`` ordered by (``order_by``, id), ascending or (``newest_first``)
    descending, and the total count unless ``count`` is false (counting a large log table
    costs more than the page). A nullable ``order_by`` column sorts its nulls as the
    largest value."""
    if not 1 <= first <= MAX_PAGE:
        raise BadRequestError(f"`first` must be between 1 and {MAX_PAGE}.", param="first")
    attribute: Any = getattr(model, order_by)
    column: Any = col(attribute)
    definition = attribute.property.columns[0]
    nullable = bool(definition.nullable)
    kind = getattr(definition.type, "impl_instance", definition.type).python_type
    ident: Any = col(model.id)  # type: ignore[attr-defined]
    total = None
    if count:
        total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    if after is not None:
        value, row_id = _decode(after)
        if (value is None and not nullable) or (value is not None and not isinstance(value, kind)):
            raise BadRequestError("`after` is not a cursor of this order.", param="after")
        if nullable:
            query = query.where(_after(column, ident, value, row_id, newest_first))
        elif newest_first:
            query = query.where(or_(column < value, and_(column == value, ident < row_id)))
        else:
            query = query.where(or_(column > value, and_(column == value, ident > row_id)))
    if newest_first:
        first_key = column.desc().nulls_first() if nullable else column.desc()
        order = (first_key, ident.desc())
    else:
        order = (column.asc().nulls_last() if nullable else column, ident)
    rows = (await session.exec(query.order_by(*order).limit(first + 1))).all()
    items = rows[:first]
    return Page(
        items=items,
        total=None if total is None else int(total),
        has_next=len(rows) > first,
        cursors=[_cursor(getattr(r, order_by), r.id) for r in items],  # type: ignore[attr-defined]
    )
