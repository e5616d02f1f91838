"""Reading virtual keys within the caller's scope."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from graphql_schema.common import Connection, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.types import VirtualKey
from graphql_schema.permissions import signed_in

__all__ = ["KeyQueries"]

Ctx = Info[GraphQLContext, Any]


@strawberry.type
class KeyQueries:
    @strawberry.field(extensions=signed_in())
    async def keys(
        self,
        info: Ctx,
        first: int = 50,
        after: str | None = None,
        team_id: strawberry.ID | None = None,
        include_revoked: bool = False,
        user_id: strawberry.ID | None = None,
        search: str | None = None,
    ) -> Connection[VirtualKey]:
        """Keys of the organizations the caller may see (every key for platform admins);
        ``search`` matches part of the alias."""
        principal = info.context.require_principal()
        page = await info.context.runtime.keys.page(
            org_ids=principal.visible_org_ids(),
            team_id=str(team_id) if team_id is not None else None,
            user_id=str(user_id) if user_id is not None else None,
            search=search,
            include_revoked=include_revoked,
            first=first,
            after=after,
        )
        return connection(page, VirtualKey.of)
