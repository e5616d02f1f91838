"""Reading spend: totals, daily series, breakdowns (from daily aggregates) and request logs.

Everything is limited to a set of organizations (None: all, for platform admins). Dates
are UTC days, both ends included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.db.pagination import Page, paginate
from app.errors import BadRequestError
from app.spend.models import DailySpend, SpendLog, SpendStatus
from app.spend.names import display_names

__all__ = ["Dimension", "LogFilter", "SpendAnalytics", "Totals", "log_query"]

MAX_DAYS = 366


class Dimension(StrEnum):
    MODEL = "model_group"
    KEY = "key_id"
    USER = "user_id"
    TEAM = "team_id"
    ORG = "org_id"
    END_USER = "end_user"


@dataclass(frozen=True, slots=True)
class Totals:
    label: str | None
    cost: Decimal
    requests: int
    prompt_tokens: int
    completion_tokens: int
    name: str | None = None
    """A breakdown entry's display name (key alias, team, org, user e-mail), if it has one."""


@dataclass(frozen=True, slots=True)
class LogFilter:
    start: datetime | None = None
    end: datetime | None = None
    key_id: str | None = None
    team_id: str | None = None
    model_group: str | None = None
    status: SpendStatus | None = None


def log_query(org_ids: frozenset[str] | None, where: LogFilter) -> SelectOfScalar[SpendLog]:
    """Request logs inside ``org_ids`` (all when None) that match ``where``."""
    query = select(SpendLog)
    if org_ids is not None:
        query = query.where(col(SpendLog.org_id).in_(org_ids))
    if where.start is not None:
        query = query.where(col(SpendLog.started_at) >= where.start)
    if where.end is not None:
        query = query.where(col(SpendLog.started_at) < where.end)
    for name in ("key_id", "team_id", "model_group", "status"):
        value = getattr(where, name)
        if value is not None:
            query = query.where(getattr(SpendLog, name) == value)
    return query


def _sums() -> tuple[Any, ...]:
    return (
        func.coalesce(func.sum(DailySpend.cost), 0),
        func.coalesce(func.sum(DailySpend.request_count), 0),
        func.coalesce(func.sum(DailySpend.prompt_tokens), 0),
        func.coalesce(func.sum(DailySpend.completion_tokens), 0),
    )


def _totals(label: Any, row: Sequence[Any]) -> Totals:
    return Totals(
        None if label is None else str(label),
        Decimal(row[0]),
        int(row[1]),
        int(row[2]),
        int(row[3]),
    )


class SpendAnalytics:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @staticmethod
    def _window(start: date, end: date) -> None:
        if end < start:
            raise BadRequestError("`end` is before `start`.", param="end")
        if (end - start).days > MAX_DAYS:
            raise BadRequestError(f"At most {MAX_DAYS} days at once.", param="end")

    def _scoped(self, query: Any, org_ids: frozenset[str] | None, start: date, end: date) -> Any:
        self._window(start, end)
        query = query.where(col(DailySpend.day) >= start, col(DailySpend.day) <= end)
        if org_ids is not None:
            query = query.where(col(DailySpend.org_id).in_(org_ids))
        return query

    async def totals(self, org_ids: frozenset[str] | None, start: date, end: date) -> Totals:
        query = self._scoped(select(*_sums()), org_ids, start, end)
        async with self._sessions() as session:
            row = (await session.exec(query)).one()
        return _totals(None, row)

    async def daily(self, org_ids: frozenset[str] | None, start: date, end: date) -> list[Totals]:
        """One entry per day in the window, zero-filled."""
        query = self._scoped(select(DailySpend.day, *_sums()), org_ids, start, end)
        async with self._sessions() as session:
            rows = (await session.exec(query.group_by(DailySpend.day))).all()
        found = {row[0]: _totals(row[0].isoformat(), row[1:]) for row in rows}
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        zero = Decimal(0)
        return [found.get(d, Totals(d.isoformat(), zero, 0, 0, 0)) for d in days]

    async def breakdown(
        self,
        org_ids: frozenset[str] | None,
        start: date,
        end: date,
        by: Dimension,
        limit: int = 20,
    ) -> list[Totals]:
        """The biggest spenders along one dimension, most expensive first, with their
        display names (one more query, for all of them)."""
        if not 1 <= limit <= 100:
            raise BadRequestError("`limit` must be between 1 and 100.", param="limit")
        column = getattr(DailySpend, by.value)
        query = self._scoped(select(column, *_sums()), org_ids, start, end)
        query = query.group_by(column).order_by(func.sum(DailySpend.cost).desc()).limit(limit)
        async with self._sessions() as session:
            rows = (await session.exec(query)).all()
            ids = {str(row[0]) for row in rows if row[0] is not None}
            names = await display_names(session, by.value, ids)
        return [replace(_totals(row[0], row[1:]), name=names.get(str(row[0]))) for row in rows]

    async def logs(
        self,
        org_ids: frozenset[str] | None,
        where: LogFilter,
        *,
        first: int = 50,
        after: str | None = None,
        newest_first: bool = True,
        count: bool = True,
    ) -> Page[SpendLog]:
        """Request logs in scope matching ``where``, newest first unless asked otherwise."""
        query = log_query(org_ids, where)
        async with self._sessions() as session:
            return await paginate(
                session,
                query,
                SpendLog,
                first=first,
                after=after,
                order_by="started_at",
                newest_first=newest_first,
                count=count,
            )
