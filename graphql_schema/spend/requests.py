"""Request-log figures: counts by outcome and median latency, and spend per hour."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.spend.analytics import Dimension
from app.spend.requests import RequestStats as StatsRow
from graphql_schema.context import GraphQLContext
from graphql_schema.permissions import signed_in
from graphql_schema.spend.types import SpendDimension, SpendTotals

__all__ = ["RequestStats", "RequestStatsQueries"]

Ctx = Info[GraphQLContext, Any]


@strawberry.type
class RequestStats:
    """Calls between two instants, from the request log. ``errorRate``: failed calls over
    all calls (null when there were none); ``p50LatencyMs``: the median latency of the
    calls that succeeded (null when none did)."""

    requests: int
    failed: int
    cancelled: int
    error_rate: float | None
    p50_latency_ms: int | None
    prompt_tokens: int
    completion_tokens: int
    cost: Decimal

    @classmethod
    def of(cls, stats: StatsRow) -> RequestStats:
        return cls(
            requests=stats.requests,
            failed=stats.failed,
            cancelled=stats.cancelled,
            error_rate=stats.failed / stats.requests if stats.requests else None,
            p50_latency_ms=stats.p50_latency_ms,
            prompt_tokens=stats.prompt_tokens,
            completion_tokens=stats.completion_tokens,
            cost=stats.cost,
        )


@strawberry.type
class RequestStatsQueries:
    @strawberry.field(extensions=signed_in())
    async def request_stats(self, info: Ctx, start: datetime, end: datetime) -> RequestStats:
        """Counts by outcome, tokens, cost and median latency of the calls that started at
        or after ``start`` and before ``end`` (at most 366 days), scoped like
        ``requestLogs``. The request log may be kept for fewer days than the daily totals."""
        scope = info.context.require_principal().visible_org_ids()
        stats = await info.context.runtime.request_analytics.stats(scope, start, end)
        return RequestStats.of(stats)

    @strawberry.field(extensions=signed_in())
    async def hourly_spend(self, info: Ctx, start: datetime, end: datetime) -> list[SpendTotals]:
        """Spend per hour from ``start`` to ``end`` (end excluded, at most 168 hours), from
        the request log, scoped like ``dailySpend``; hours without spend included (label =
        the hour's first instant, UTC). Hours count from ``start``: pass a local hour
        boundary to bucket by the viewer's hours."""
        scope = info.context.require_principal().visible_org_ids()
        rows = await info.context.runtime.request_analytics.hourly(scope, start, end)
        return [SpendTotals.of(t) for t in rows]

    @strawberry.field(extensions=signed_in())
    async def request_breakdown(
        self, info: Ctx, start: datetime, end: datetime, by: SpendDimension, limit: int = 20
    ) -> list[SpendTotals]:
        """``spendBreakdown`` between two instants (end excluded), from the request log:
        for windows that are not whole UTC days, such as the last 24 hours."""
        scope = info.context.require_principal().visible_org_ids()
        rows = await info.context.runtime.request_analytics.breakdown(
            scope, start, end, Dimension(by.value), limit
        )
        return [SpendTotals.of(t) for t in rows]
