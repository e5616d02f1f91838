"""Keyset pagination for Relay-style connections: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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


def _cursor(created_at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        moment, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(moment), row_id
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("`after` is not a cursor this API gave out.", param="after") from None


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
    """One page of ``query`` ordered by (``order_by``, id), oldest or newest first, and the
    total count unless ``count`` is false (counting a large log table costs more than the
    page)."""
    if not 1 <= first <= MAX_PAGE:
        raise BadRequestError(f"`first` must be between 1 and {MAX_PAGE}.", param="first")
    created: Any = col(getattr(model, order_by))
    ident: Any = col(model.id)  # type: ignore[attr-defined]
    total = None
    if count:
        total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    if after is not None:
        moment, row_id = _decode(after)
        if newest_first:
            query = query.where(or_(created < moment, and_(created == moment, ident < row_id)))
        else:
            query = query.where(or_(created > moment, and_(created == moment, ident > row_id)))
    order = (created.desc(), ident.desc()) if newest_first else (created, ident)
    rows = (await session.exec(query.order_by(*order).limit(first + 1))).all()
    items = rows[:first]
    return Page(
        items=items,
        total=None if total is None else int(total),
        has_next=len(rows) > first,
        cursors=[_cursor(getattr(r, order_by), r.id) for r in items],  # type: ignore[attr-defined]
    )
