"""Spend analytics, request logs and the audit log, within the caller's scope."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from app.audit.service import audit_page
from app.auth.principal import AUDITORS
from app.errors import BadRequestError
from app.spend.analytics import Dimension, LogFilter
from app.spend.models import SpendStatus
from graphql_schema.common import Connection, SortOrder, asks_for_total, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.permissions import any_org_role, signed_in
from graphql_schema.spend.types import (
    AuditEntry,
    RequestLog,
    RequestLogFilter,
    SpendDimension,
    SpendTotals,
)

__all__ = ["SpendQueries"]

Ctx = Info[GraphQLContext, Any]


def _status(value: str | None) -> SpendStatus | None:
    if value is None:
        return None
    try:
        return SpendStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in SpendStatus)
        raise BadRequestError(f"status is one of {allowed}", param="status") from None


def _where(filter: RequestLogFilter | None) -> LogFilter:
    if filter is None:
        return LogFilter()
    return LogFilter(
        start=filter.start,
        end=filter.end,
        key_id=str(filter.key_id) if filter.key_id else None,
        team_id=str(filter.team_id) if filter.team_id else None,
        model_group=filter.model_group,
        status=_status(filter.status),
    )


@strawberry.type
class RequestLogTail:
    """One poll of the live tail: ``logs`` oldest to newest; pass ``cursor`` as ``after``
    next time. ``hasMore``: rows already written did not fit, poll again at once."""

    logs: list[RequestLog]
    cursor: str
    has_more: bool


@strawberry.type
class SpendQueries:
    @strawberry.field(extensions=signed_in())
    async def spend_totals(self, info: Ctx, start: date, end: date) -> SpendTotals:
        """Cost, requests and tokens between two UTC days (both included)."""
        scope = info.context.require_principal().visible_org_ids()
        totals = await info.context.runtime.analytics.totals(scope, start, end)
        return SpendTotals.of(totals)

    @strawberry.field(extensions=signed_in())
    async def daily_spend(self, info: Ctx, start: date, end: date) -> list[SpendTotals]:
        """One entry per day (label = the ISO date), days without spend included."""
        scope = info.context.require_principal().visible_org_ids()
        return [
            SpendTotals.of(t) for t in await info.context.runtime.analytics.daily(scope, start, end)
        ]

    @strawberry.field(extensions=signed_in())
    async def spend_breakdown(
        self, info: Ctx, start: date, end: date, by: SpendDimension, limit: int = 20
    ) -> list[SpendTotals]:
        """The biggest spenders along one dimension (label = the model name or the id)."""
        scope = info.context.require_principal().visible_org_ids()
        rows = await info.context.runtime.analytics.breakdown(
            scope, start, end, Dimension(by.value), limit
        )
        return [SpendTotals.of(t) for t in rows]

    @strawberry.field(extensions=signed_in())
    async def request_logs(
        self,
        info: Ctx,
        first: int = 50,
        after: str | None = None,
        filter: RequestLogFilter | None = None,
        order: SortOrder = SortOrder.NEWEST_FIRST,
    ) -> Connection[RequestLog]:
        scope = info.context.require_principal().visible_org_ids()
        page = await info.context.runtime.analytics.logs(
            scope,
            _where(filter),
            first=first,
            after=after,
            newest_first=order is SortOrder.NEWEST_FIRST,
            count=asks_for_total(info),
        )
        return connection(page, RequestLog.of)

    @strawberry.field(extensions=signed_in())
    async def request_log_tail(
        self,
        info: Ctx,
        after: str | None = None,
        filter: RequestLogFilter | None = None,
        first: int = 100,
    ) -> RequestLogTail:
        """The request log as it is written, for polling every few seconds, filtered and
        scoped like ``requestLogs``. Without ``after``: the newest ``first`` rows and a
        cursor; with the last poll's ``cursor``: the rows written since, including long
        requests that started before rows already shown. Rows appear about two seconds
        after they are written (so none is skipped while a batch commits)."""
        scope = info.context.require_principal().visible_org_ids()
        tail = await info.context.runtime.request_tail.poll(
            scope, _where(filter), after=after, first=first
        )
        return RequestLogTail(
            logs=[RequestLog.of(row) for row in tail.logs],
            cursor=tail.cursor,
            has_more=tail.has_more,
        )

    @strawberry.field(extensions=any_org_role(*AUDITORS))
    async def audit_log(
        self,
        info: Ctx,
        first: int = 50,
        after: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        actor_id: str | None = None,
        action: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        order: SortOrder = SortOrder.NEWEST_FIRST,
    ) -> Connection[AuditEntry]:
        """Platform admins and co-admins read every entry; org owners, admins and auditors
        their organizations' entries; anyone else is refused.
        ``action``: one action (``key.create``) or a family ending in a dot (``key.``)."""
        scope = info.context.require_principal().audited_org_ids()
        page = await audit_page(
            info.context.runtime.sessions,
            scope,
            target_type=target_type,
            target_id=target_id,
            actor_id=actor_id,
            action=action,
            start=start,
            end=end,
            first=first,
            after=after,
            newest_first=order is SortOrder.NEWEST_FIRST,
            count=asks_for_total(info),
        )
        return connection(page, AuditEntry.of)
