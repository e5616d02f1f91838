"""Setting budgets and limits of users and end users (platform admins); each audited.

A change applies from the next request on every instance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.errors import BadRequestError
from app.users.models import PlatformRole
from graphql_schema.budgets.types import EndUser, EndUserPayload, UserLimits, UserLimitsPayload
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.errors import user_errors
from graphql_schema.orgs.types import LimitsInput, limit_changes
from graphql_schema.permissions import platform_role

__all__ = ["BudgetMutations"]

Ctx = Info[GraphQLContext, Any]
_ADMIN = PlatformRole.PLATFORM_ADMIN


@strawberry.type
class BudgetMutations:
    @strawberry.mutation(extensions=platform_role(_ADMIN))
    async def set_user_limits(
        self, info: Ctx, user_id: strawberry.ID, limits: LimitsInput
    ) -> UserLimitsPayload:
        """Change a user's budget and rate limits (only the fields sent; users have no
        model list)."""
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.budgets.set_user_limits(
                principal, str(user_id), limit_changes(limits)
            )
        except BadRequestError as exc:
            return UserLimitsPayload(limits=None, errors=user_errors(exc))
        return UserLimitsPayload(limits=UserLimits.of(row), errors=[])

    @strawberry.mutation(extensions=platform_role(_ADMIN))
    async def set_end_user_budget(
        self,
        info: Ctx,
        external_id: str,
        max_budget: Decimal | None,
        budget_duration: str | None = None,
    ) -> EndUserPayload:
        """Set an end user's budget (``null``: none), creating the end user if needed."""
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.budgets.set_end_user_budget(
                principal, external_id, max_budget, budget_duration
            )
        except BadRequestError as exc:
            return EndUserPayload(end_user=None, errors=user_errors(exc))
        return EndUserPayload(end_user=EndUser.of(row), errors=[])

    @strawberry.mutation(extensions=platform_role(_ADMIN))
    async def set_end_user_blocked(
        self, info: Ctx, external_id: str, blocked: bool
    ) -> EndUserPayload:
        """Refuse (or allow again) every request naming this end user."""
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.budgets.set_end_user_blocked(
                principal, external_id, blocked
            )
        except BadRequestError as exc:
            return EndUserPayload(end_user=None, errors=user_errors(exc))
        return EndUserPayload(end_user=EndUser.of(row), errors=[])
