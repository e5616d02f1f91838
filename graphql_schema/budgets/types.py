"""GraphQL types of users' limits and of end users (the callers' own customers)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.db.types import utcnow
from app.orgs.limits import spend_in_period
from app.users.models import EndUser as EndUserRow
from app.users.models import User as UserRow
from graphql_schema.keys.errors import UserError

__all__ = ["EndUser", "EndUserPayload", "UserLimits", "UserLimitsPayload"]


@strawberry.type
class EndUser:
    """An end user named by a request's ``user`` field or ``x-deltallm-end-user-id``."""

    id: strawberry.ID
    external_id: str
    max_budget: Decimal | None
    budget_duration: str | None
    spend: Decimal = strawberry.field(description="Spend in the current budget period.")
    budget_reset_at: datetime | None
    blocked: bool
    created_at: datetime

    @classmethod
    def of(cls, row: EndUserRow) -> EndUser:
        return cls(
            id=strawberry.ID(row.id),
            external_id=row.external_id,
            max_budget=row.max_budget,
            budget_duration=row.budget_duration,
            spend=spend_in_period(row.spend, row.budget_duration, row.budget_reset_at, utcnow()),
            budget_reset_at=row.budget_reset_at,
            blocked=row.blocked,
            created_at=row.created_at,
        )


@strawberry.type
class UserLimits:
    """A user's own budget and rate limits, shared by all of the user's keys."""

    user_id: strawberry.ID
    email: str
    max_budget: Decimal | None
    soft_budget: Decimal | None
    budget_duration: str | None
    spend: Decimal = strawberry.field(description="Spend in the current budget period.")
    budget_reset_at: datetime | None
    rpm_limit: int | None
    tpm_limit: int | None
    max_parallel_requests: int | None

    @classmethod
    def of(cls, row: UserRow) -> UserLimits:
        return cls(
            user_id=strawberry.ID(row.id),
            email=row.email,
            max_budget=row.max_budget,
            soft_budget=row.soft_budget,
            budget_duration=row.budget_duration,
            spend=spend_in_period(row.spend, row.budget_duration, row.budget_reset_at, utcnow()),
            budget_reset_at=row.budget_reset_at,
            rpm_limit=row.rpm_limit,
            tpm_limit=row.tpm_limit,
            max_parallel_requests=row.max_parallel_requests,
        )


@strawberry.type
class UserLimitsPayload:
    limits: UserLimits | None
    errors: list[UserError]


@strawberry.type
class EndUserPayload:
    end_user: EndUser | None
    errors: list[UserError]
