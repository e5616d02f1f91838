"""Figures read from the request log itself (not the daily totals): counts by outcome,
the median latency, and spend per hour.

The daily totals have no hours and no latencies, so these read ``spend_logs`` through its
``(org_id, started_at)`` / ``started_at`` indexes, between two instants (end excluded),
aggregated in SQL: no row is loaded into Python. The request log may be kept for fewer
days than the daily totals (``spend_log_retention_days``): these figures cover only what
it still holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Integer, case, cast, func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import BadRequestError
from app.spend.analytics import MAX_DAYS, Dimension, Totals
from app.spend.models import SpendLog, SpendStatus
from app.spend.names import display_names

__all__ = ["MAX_HOURS", "RequestAnalytics", "RequestStats"]

MAX_HOURS = 7 * 24
"""The longest hourly series (longer periods use the daily totals)."""
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class RequestStats:
    requests: int
    failed: int
    cancelled: int
    prompt_tokens: int
    completion_tokens: int
    cost: Decimal
    p50_latency_ms: int | None
    """Median latency of the calls that succeeded (None: none did)."""


def _utc(moment: datetime) -> datetime:
    """Aware instants in UTC; a naive one is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _in_window(query: Any, org_ids: frozenset[str] | None, start: datetime, end: datetime) -> Any:
    query = query.where(col(SpendLog.started_at) >= start, col(SpendLog.started_at) < end)
    if org_ids is not None:
        query = query.where(col(SpendLog.org_id).in_(org_ids))
    return query


def _count(status: SpendStatus) -> Any:
    return func.coalesce(func.sum(case((col(SpendLog.status) == status, 1), else_=0)), 0)


def _epoch_seconds(dialect: str) -> Any:
    """Whole seconds since 1970 of ``started_at`` (SQLite stores naive UTC text)."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", SpendLog.started_at), Integer)
    return cast(func.floor(func.extract("epoch", col(SpendLog.started_at))), BigInteger)


class RequestAnalytics:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @staticmethod
    def _window(start: datetime, end: datetime, longest: timedelta) -> None:
        if end <= start:
            raise BadRequestError("`end` is not after `start`.", param="end")
        if end - start > longest:
            raise BadRequestError(f"At most {longest} at once.", param="end")

    async def stats(
        self, org_ids: frozenset[str] | None, start: datetime, end: datetime
    ) -> RequestStats:
        """Counts by outcome, tokens, cost, and the median latency of successful calls:
        one aggregate, then (when any call succeeded) one ``ORDER BY latency_ms`` read of
        the one or two middle rows, which the database sorts without returning the rest."""
        start, end = _utc(start), _utc(end)
        self._window(start, end, timedelta(days=MAX_DAYS))
        columns: tuple[Any, ...] = (
            func.count(),
            _count(SpendStatus.OK),
            _count(SpendStatus.ERROR),
            _count(SpendStatus.CANCELLED),
            func.coalesce(func.sum(SpendLog.prompt_tokens), 0),
            func.coalesce(func.sum(SpendLog.completion_tokens), 0),
            func.coalesce(func.sum(SpendLog.cost), 0),
        )
        aggregate = select(*columns)
        async with self._sessions() as session:
            row = (await session.exec(_in_window(aggregate, org_ids, start, end))).one()
            ok = int(row[1])
            median = await self._median(session, org_ids, start, end, ok) if ok else None
        return RequestStats(
            requests=int(row[0]),
            failed=int(row[2]),
            cancelled=int(row[3]),
            prompt_tokens=int(row[4]),
            completion_tokens=int(row[5]),
            cost=Decimal(row[6]),
            p50_latency_ms=median,
        )

    @staticmethod
    async def _median(
        session: AsyncSession,
        org_ids: frozenset[str] | None,
        start: datetime,
        end: datetime,
        ok: int,
    ) -> int:
        query = _in_window(select(SpendLog.latency_ms), org_ids, start, end)
        query = query.where(col(SpendLog.status) == SpendStatus.OK)
        middle = query.order_by(col(SpendLog.latency_ms))
        middle = middle.offset((ok - 1) // 2).limit(1 if ok % 2 else 2)
        values: Sequence[int] = (await session.exec(middle)).all()
        return round(sum(values) / len(values))

    async def hourly(
        self, org_ids: frozenset[str] | None, start: datetime, end: datetime
    ) -> list[Totals]:
        """One entry per hour from ``start`` (label: the hour's first instant, ISO 8601 UTC),
        hours without spend included; the last hour ends at ``end`` or earlier. Hours count
        from ``start``, so a ``start`` on a local hour boundary buckets by local hours."""
        start, end = _utc(start), _utc(end)
        self._window(start, end, timedelta(hours=MAX_HOURS))
        hours = -(-(end - start) // _HOUR)
        async with self._sessions() as session:
            dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
            offset = _epoch_seconds(dialect) - int(start.timestamp())
            # Each row's hour in a subquery, grouped outside: PostgreSQL would not match
            # the GROUP BY to the SELECT's expression when each carries its own parameters.
            rows_in = select(
                cast(offset // 3600, Integer).label("bucket"),
                col(SpendLog.cost),
                col(SpendLog.prompt_tokens),
                col(SpendLog.completion_tokens),
            )
            per_row = _in_window(rows_in, org_ids, start, end).subquery()
            columns: tuple[Any, ...] = (
                per_row.c.bucket,
                func.coalesce(func.sum(per_row.c.cost), 0),
                func.count(),
                func.coalesce(func.sum(per_row.c.prompt_tokens), 0),
                func.coalesce(func.sum(per_row.c.completion_tokens), 0),
            )
            query = select(*columns).group_by(per_row.c.bucket)
            rows = (await session.exec(query)).all()
        found = {int(row[0]): row[1:] for row in rows}
        series = []
        for n in range(hours):
            label = (start + n * _HOUR).isoformat().replace("+00:00", "Z")
            row = found.get(n, (0, 0, 0, 0))
            series.append(Totals(label, Decimal(row[0]), int(row[1]), int(row[2]), int(row[3])))
        return series

    async def breakdown(
        self,
        org_ids: frozenset[str] | None,
        start: datetime,
        end: datetime,
        by: Dimension,
        limit: int = 20,
    ) -> list[Totals]:
        """The biggest spenders along one dimension between two instants, most expensive
        first, with display names: :meth:`SpendAnalytics.breakdown` for windows that are
        not whole UTC days (one grouped query, then one for the names)."""
        if not 1 <= limit <= 100:
            raise BadRequestError("`limit` must be between 1 and 100.", param="limit")
        start, end = _utc(start), _utc(end)
        self._window(start, end, timedelta(days=MAX_DAYS))
        column = getattr(SpendLog, by.value)
        columns: tuple[Any, ...] = (
            column,
            func.coalesce(func.sum(SpendLog.cost), 0),
            func.count(),
            func.coalesce(func.sum(SpendLog.prompt_tokens), 0),
            func.coalesce(func.sum(SpendLog.completion_tokens), 0),
        )
        query = _in_window(select(*columns), org_ids, start, end).group_by(column)
        query = query.order_by(func.sum(SpendLog.cost).desc()).limit(limit)
        async with self._sessions() as session:
            rows = (await session.exec(query)).all()
            ids = {str(row[0]) for row in rows if row[0] is not None}
            names = await display_names(session, by.value, ids)
        return [
            Totals(
                None if row[0] is None else str(row[0]),
                Decimal(row[1]),
                int(row[2]),
                int(row[3]),
                int(row[4]),
                names.get(str(row[0])),
            )
            for row in rows
        ]
