"""Reading end users and users' limits (platform admins and co-admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.users.models import PlatformRole
from graphql_schema.budgets.types import EndUser, UserLimits
from graphql_schema.common import Connection, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.permissions import platform_role

__all__ = ["BudgetQueries"]

Ctx = Info[GraphQLContext, Any]
_READERS = (PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)


@strawberry.type
class BudgetQueries:
    @strawberry.field(extensions=platform_role(*_READERS))
    async def end_users(
        self, info: Ctx, first: int = 50, after: str | None = None, search: str | None = None
    ) -> Connection[EndUser]:
        """End users, oldest first; ``search`` matches part of the external id, any case."""
        page = await info.context.runtime.orgs.budgets.end_users(
            search=search, first=first, after=after
        )
        return connection(page, EndUser.of)

    @strawberry.field(extensions=platform_role(*_READERS))
    async def user_limits(self, info: Ctx, user_id: strawberry.ID) -> UserLimits:
        return UserLimits.of(await info.context.runtime.orgs.budgets.user(str(user_id)))
