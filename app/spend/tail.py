"""The live tail of the request log: polling for rows written since the last poll.

Why polling, and why ``written_at``: logs are written in batches after their requests end
(one process, or several instances through the Redis stream), so they do not arrive in
the order requests started, and a tail that followed ``started_at`` would skip a long
request written late. The spend writer stamps each row's ``written_at``; the tail pages
along (``written_at``, ``id``), which an index serves. Rows younger than ``settle`` are
held back one poll, so a batch still committing (or written by an instance whose clock is
a little behind) is not stepped over. A poll is one indexed query, and the console polls
every few seconds; a GraphQL subscription would need a push channel from every writer to
every instance for what the log table already answers.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.pagination import MAX_PAGE
from app.db.types import utcnow
from app.errors import BadRequestError
from app.spend.analytics import LogFilter, log_query
from app.spend.models import SpendLog

__all__ = ["RequestTail", "Tail"]

SETTLE = timedelta(seconds=2)


@dataclass(frozen=True, slots=True)
class Tail:
    """Rows oldest to newest; ``cursor`` is where the next poll continues; ``has_more``
    when rows that are already visible did not fit (poll again at once)."""

    logs: Sequence[SpendLog]
    cursor: str
    has_more: bool


def _cursor(moment: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{row_id}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        moment, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        parsed = datetime.fromisoformat(moment)
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("`after` is not a cursor this API gave out.", param="after") from None
    if parsed.tzinfo is None:
        raise BadRequestError("`after` is not a cursor this API gave out.", param="after")
    return parsed, row_id


class RequestTail:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
        settle: timedelta = SETTLE,
    ) -> None:
        self._sessions = sessions
        self.clock = clock
        self.settle = settle

    async def poll(
        self,
        org_ids: frozenset[str] | None,
        where: LogFilter,
        *,
        after: str | None = None,
        first: int = 50,
    ) -> Tail:
        """Without ``after``: the newest ``first`` rows. With it: the rows written since,
        up to ``first``."""
        if not 1 <= first <= MAX_PAGE:
            raise BadRequestError(f"`first` must be between 1 and {MAX_PAGE}.", param="first")
        horizon = self.clock() - self.settle
        written = col(SpendLog.written_at)
        ident = col(SpendLog.id)
        query = log_query(org_ids, where).where(written < horizon)
        async with self._sessions() as session:
            if after is None:
                newest = query.order_by(written.desc(), ident.desc()).limit(first)
                rows = list(reversed((await session.exec(newest)).all()))
                return Tail(rows, _cursor(horizon, ""), False)
            moment, row_id = _decode(after)
            query = query.where(or_(written > moment, and_(written == moment, ident > row_id)))
            found = (await session.exec(query.order_by(written, ident).limit(first + 1))).all()
        rows = list(found[:first])
        if len(found) > first:
            last = rows[-1]
            assert last.written_at is not None  # the query selects written rows only
            return Tail(rows, _cursor(last.written_at, last.id), True)
        if moment >= horizon:  # a cursor ahead of this instance's horizon stays put
            return Tail(rows, after, False)
        return Tail(rows, _cursor(horizon, ""), False)
