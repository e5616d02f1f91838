"""GraphQL types of organizations and teams."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.orgs.models import Organization as OrganizationRow
from app.orgs.models import Team as TeamRow
from graphql_schema.context import GraphQLContext

__all__ = ["LimitsInput", "Organization", "Team"]


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    slug: str
    max_budget: Decimal | None
    soft_budget: Decimal | None
    budget_duration: str | None
    spend: Decimal
    rpm_limit: int | None
    tpm_limit: int | None
    max_parallel_requests: int | None
    models: list[str]
    blocked: bool
    created_at: datetime

    @strawberry.field
    async def teams(self, info: Info[GraphQLContext, Any]) -> list[Team]:
        """The organization's teams (batched across every organization in the answer)."""
        rows = await info.context.loaders.teams_by_org_id.load(str(self.id))
        return [Team.of(row) for row in rows]

    @classmethod
    def of(cls, row: OrganizationRow) -> Organization:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            slug=row.slug,
            max_budget=row.max_budget,
            soft_budget=row.soft_budget,
            budget_duration=row.budget_duration,
            spend=row.spend,
            rpm_limit=row.rpm_limit,
            tpm_limit=row.tpm_limit,
            max_parallel_requests=row.max_parallel_requests,
            models=list(row.models),
            blocked=row.blocked,
            created_at=row.created_at,
        )


@strawberry.type
class Team:
    id: strawberry.ID
    org_id: strawberry.ID
    name: str
    max_budget: Decimal | None
    budget_duration: str | None
    spend: Decimal
    rpm_limit: int | None
    tpm_limit: int | None
    max_parallel_requests: int | None
    models: list[str]
    blocked: bool
    created_at: datetime

    @classmethod
    def of(cls, row: TeamRow) -> Team:
        return cls(
            id=strawberry.ID(row.id),
            org_id=strawberry.ID(row.org_id),
            name=row.name,
            max_budget=row.max_budget,
            budget_duration=row.budget_duration,
            spend=row.spend,
            rpm_limit=row.rpm_limit,
            tpm_limit=row.tpm_limit,
            max_parallel_requests=row.max_parallel_requests,
            models=list(row.models),
            blocked=row.blocked,
            created_at=row.created_at,
        )


@strawberry.input
class LimitsInput:
    max_budget: Decimal | None = None
    soft_budget: Decimal | None = None
    budget_duration: str | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None
    models: list[str] = strawberry.field(default_factory=list)
