"""GraphQL types of virtual keys (never their secrets, except once at creation)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.db.types import utcnow
from app.keys.models import VirtualKey as KeyRow
from app.keys.status import KeyStatus as Status
from app.keys.status import status_of
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.errors import UserError, user_errors
from graphql_schema.orgs.types import Organization, Team

__all__ = ["KeyStatus", "UserError", "VirtualKey", "user_errors"]

KeyStatus = strawberry.enum(Status, name="KeyStatus")


@strawberry.type
class VirtualKey:
    id: strawberry.ID
    alias: str | None
    key_display: str
    team_id: strawberry.ID | None
    user_id: strawberry.ID | None
    org_id: strawberry.ID | None
    models: list[str]
    max_budget: Decimal | None
    soft_budget: Decimal | None
    budget_duration: str | None
    spend: Decimal
    rpm_limit: int | None
    tpm_limit: int | None
    max_parallel_requests: int | None
    expires_at: datetime | None
    blocked: bool
    revoked: bool
    tags: list[str]
    guardrails: list[str]
    allow_request_guardrails: bool
    allowed_cache_controls: list[str]
    created_at: datetime
    last_used_at: datetime | None
    status: KeyStatus  # type: ignore[valid-type]

    @strawberry.field
    async def team(self, info: Info[GraphQLContext, Any]) -> Team | None:
        if self.team_id is None:
            return None
        row = await info.context.loaders.team_by_id.load(str(self.team_id))
        return Team.of(row) if row is not None else None

    @strawberry.field
    async def organization(self, info: Info[GraphQLContext, Any]) -> Organization | None:
        if self.org_id is None:
            return None
        row = await info.context.loaders.organization_by_id.load(str(self.org_id))
        return Organization.of(row) if row is not None else None

    @classmethod
    def of(cls, row: KeyRow) -> VirtualKey:
        def ident(value: str | None) -> strawberry.ID | None:
            return strawberry.ID(value) if value is not None else None

        return cls(
            id=strawberry.ID(row.id),
            alias=row.alias,
            key_display=f"{row.key_prefix}…{row.key_suffix}",
            team_id=ident(row.team_id),
            user_id=ident(row.user_id),
            org_id=ident(row.org_id),
            models=list(row.models),
            max_budget=row.max_budget,
            soft_budget=row.soft_budget,
            budget_duration=row.budget_duration,
            spend=row.spend,
            rpm_limit=row.rpm_limit,
            tpm_limit=row.tpm_limit,
            max_parallel_requests=row.max_parallel_requests,
            expires_at=row.expires_at,
            blocked=row.blocked,
            revoked=row.revoked_at is not None,
            tags=list(row.tags),
            guardrails=list(row.guardrails),
            allow_request_guardrails=row.allow_request_guardrails,
            allowed_cache_controls=list(row.allowed_cache_controls),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            status=status_of(row, utcnow()),
        )
