"""Reading users (platform admins and co-admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import or_
from sqlmodel import col, select
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
    async def users(
        self,
        info: Ctx,
        first: int = 50,
        after: str | None = None,
        search: str | None = None,
        role: PlatformRole | None = None,
        blocked: bool | None = None,
    ) -> Connection[User]:
        """Every account; ``search`` matches part of the e-mail or display name."""
        query = select(UserRow)
        if search:
            query = query.where(
                or_(
                    col(UserRow.email).icontains(search, autoescape=True),
                    col(UserRow.display_name).icontains(search, autoescape=True),
                )
            )
        if role is not None:
            query = query.where(UserRow.platform_role == role)
        if blocked is not None:
            query = query.where(UserRow.blocked == blocked)
        async with info.context.runtime.sessions() as session:
            page = await paginate(session, query, UserRow, first=first, after=after)
        return connection(page, User.of)
