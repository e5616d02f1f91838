"""Reading virtual keys within the caller's scope."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.keys.status import KeySort as Sort
from app.keys.status import KeyStatus as Status
from app.users.models import OrgRole, TeamRole
from graphql_schema.common import Connection, SortDirection, asks_for_total, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.types import KeyStatus, VirtualKey
from graphql_schema.permissions import org_role, signed_in

__all__ = ["KeyQueries"]

Ctx = Info[GraphQLContext, Any]
KeySort = strawberry.enum(Sort, name="KeySort")


@strawberry.type
class KeyQueries:
    @strawberry.field(extensions=org_role(*tuple(OrgRole), of="keyId", team_roles=tuple(TeamRole)))
    async def key(self, info: Ctx, key_id: strawberry.ID) -> VirtualKey:
        """One key by id, revoked ones included, for whoever may see it (as ``keyAdmission``):
        NOT_FOUND for an unknown id, FORBIDDEN for a key outside the caller's scope."""
        return VirtualKey.of(await info.context.runtime.keys.get(str(key_id)))

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
        org_id: strawberry.ID | None = None,
        status: KeyStatus | None = None,  # type: ignore[valid-type]
        sort: KeySort = Sort.CREATED,  # type: ignore[valid-type]
        direction: SortDirection = SortDirection.ASC,
    ) -> Connection[VirtualKey]:
        """Keys of the organizations the caller may see (every key for platform admins);
        ``search`` matches part of the alias or the start of the key (``sk-ab``);
        ``status`` keeps keys in that status (revoked keys are listed only when asked by
        ``status`` or ``includeRevoked``). Sorted by ``sort`` (then id) in ``direction``;
        keys that never expire sort after every expiry. Cursors belong to their order."""
        principal = info.context.require_principal()
        page = await info.context.runtime.keys.page(
            org_ids=principal.visible_org_ids(),
            org_id=str(org_id) if org_id is not None else None,
            team_id=str(team_id) if team_id is not None else None,
            user_id=str(user_id) if user_id is not None else None,
            search=search,
            include_revoked=include_revoked,
            status=Status(status) if status is not None else None,
            sort=Sort(sort),
            descending=direction is SortDirection.DESC,
            first=first,
            after=after,
            count=asks_for_total(info),
        )
        return connection(page, VirtualKey.of)
