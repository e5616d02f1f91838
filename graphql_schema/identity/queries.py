"""Reading users (platform admins and co-admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import select
from strawberry.types import Info

from app.db.pagination import paginate
from app.users.models import PlatformRole
from app.users.models import User as UserRow
from graphql_schema.common import Connection, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.identity.types import User
from graphql_schema.permissions import platform_role

__all__ = ["IdentityQueries"]

Ctx = Info[GraphQLContext, Any]


@strawberry.type
class IdentityQueries:
    @strawberry.field(
        extensions=platform_role(PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)
    )
    async def users(self, info: Ctx, first: int = 50, after: str | None = None) -> Connection[User]:
        async with info.context.runtime.sessions() as session:
            page = await paginate(session, select(UserRow), UserRow, first=first, after=after)
        return connection(page, User.of)
