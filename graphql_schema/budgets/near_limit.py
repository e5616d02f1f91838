"""Budgets close to their limit: keys, users, teams and organizations, worst first."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.db.types import utcnow
from app.orgs.near_limit import BudgetKind as Kind
from app.orgs.near_limit import BudgetUse as UseRow
from app.orgs.near_limit import budgets_near_limit
from graphql_schema.context import GraphQLContext
from graphql_schema.permissions import signed_in

__all__ = ["BudgetUse", "NearLimitQueries"]

Ctx = Info[GraphQLContext, Any]
BudgetKind = strawberry.enum(Kind, name="BudgetKind")


@strawberry.type
class BudgetUse:
    """This period's spend against one budget. ``name``: the key's alias (or its display
    prefix), the user's e-mail, the team's or organization's name. ``resetAt``: when the
    period ends and spend restarts at zero (null for a budget that never resets)."""

    kind: BudgetKind  # type: ignore[valid-type]
    id: strawberry.ID
    name: str
    spend: Decimal
    max_budget: Decimal
    budget_duration: str | None
    reset_at: datetime | None

    @classmethod
    def of(cls, row: UseRow) -> BudgetUse:
        return cls(
            kind=row.kind,
            id=strawberry.ID(row.id),
            name=row.name,
            spend=row.spend,
            max_budget=row.max_budget,
            budget_duration=row.budget_duration,
            reset_at=row.reset_at if row.budget_duration is not None else None,
        )


@strawberry.type
class NearLimitQueries:
    @strawberry.field(extensions=signed_in())
    async def budgets_near_limit(
        self, info: Ctx, threshold: float = 0.8, first: int = 20
    ) -> list[BudgetUse]:
        """Live keys, users, teams and organizations whose spend this period is at least
        ``threshold`` (above 0, at most 10) of their budget, the highest share first, at
        most ``first`` (1 to 100); scoped like ``keys``, ``organizations`` and ``users``:
        organization members see their organizations' keys and teams and the
        organizations themselves, platform admins and co-admins everything."""
        principal = info.context.require_principal()
        async with info.context.runtime.sessions() as session:
            rows = await budgets_near_limit(
                session,
                org_ids=principal.visible_org_ids(),
                threshold=threshold,
                first=first,
                now=utcnow(),
            )
        return [BudgetUse.of(r) for r in rows]
