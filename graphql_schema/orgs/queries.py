"""Reading organizations and teams (each list filtered by the caller's scope)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.users.models import OrgRole, TeamRole
from graphql_schema.common import Connection, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.orgs.types import Organization, Team
from graphql_schema.permissions import org_role, signed_in

__all__ = ["OrgQueries"]

Ctx = Info[GraphQLContext, Any]
_READ = tuple(OrgRole)


@strawberry.type
class OrgQueries:
    @strawberry.field(extensions=signed_in())
    async def organizations(
        self, info: Ctx, first: int = 50, after: str | None = None
    ) -> Connection[Organization]:
        principal = info.context.require_principal()
        page = await info.context.runtime.orgs.list_orgs(principal, first=first, after=after)
        return connection(page, Organization.of)

    @strawberry.field(extensions=org_role(*_READ, of="id"))
    async def organization(self, info: Ctx, id: strawberry.ID) -> Organization:
        principal = info.context.require_principal()
        return Organization.of(await info.context.runtime.orgs.get_org(principal, str(id)))

    @strawberry.field(extensions=org_role(*_READ, of="orgId"))
    async def teams(
        self, info: Ctx, org_id: strawberry.ID, first: int = 50, after: str | None = None
    ) -> Connection[Team]:
        principal = info.context.require_principal()
        page = await info.context.runtime.orgs.list_teams(
            principal, str(org_id), first=first, after=after
        )
        return connection(page, Team.of)

    @strawberry.field(extensions=org_role(*_READ, of="teamId", team_roles=tuple(TeamRole)))
    async def team(self, info: Ctx, team_id: strawberry.ID) -> Team:
        """One team, for members of its organization (and so of the team)."""
        principal = info.context.require_principal()
        return Team.of(await info.context.runtime.orgs.get_team(principal, str(team_id)))
