"""Members of organizations and teams: listing, granting roles, removing; each audited.

Typed payload errors: an unknown user, a user outside the organization, removing or
demoting the last org_owner. GraphQL errors: FORBIDDEN (including touching someone who
stands above the caller) and NOT_FOUND of the organization or team.
"""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from app.orgs.memberships import MemberPage, MembershipError
from app.users.models import OrgMembership, OrgRole, TeamMembership, TeamRole
from graphql_schema.common import Connection, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.errors import user_errors
from graphql_schema.orgs.types import (
    Member,
    OrgMembershipPayload,
    OrgMembershipResult,
    RemoveMemberPayload,
    TeamMembershipPayload,
    TeamMembershipResult,
)
from graphql_schema.permissions import org_role

__all__ = ["MemberMutations", "MemberQueries"]

Ctx = Info[GraphQLContext, Any]
_ADMINS = (OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN)
_TEAM_ADMIN = (TeamRole.TEAM_ADMIN,)
_M = TypeVar("_M", OrgMembership, TeamMembership)


def _connection(found: MemberPage[_M]) -> Connection[Member]:
    return connection(found.page, lambda row: Member.of(row, found.users.get(row.user_id)))


@strawberry.type
class MemberQueries:
    @strawberry.field(extensions=org_role(*OrgRole, of="orgId"))
    async def org_members(
        self, info: Ctx, org_id: strawberry.ID, first: int = 50, after: str | None = None
    ) -> Connection[Member]:
        """The organization's members with their roles, oldest membership first."""
        principal = info.context.require_principal()
        found = await info.context.runtime.orgs.members.org_members(
            principal, str(org_id), first=first, after=after
        )
        return _connection(found)

    @strawberry.field(extensions=org_role(*OrgRole, of="teamId", team_roles=tuple(TeamRole)))
    async def team_members(
        self, info: Ctx, team_id: strawberry.ID, first: int = 50, after: str | None = None
    ) -> Connection[Member]:
        """The team's members with their team roles, oldest membership first."""
        principal = info.context.require_principal()
        found = await info.context.runtime.orgs.members.team_members(
            principal, str(team_id), first=first, after=after
        )
        return _connection(found)


@strawberry.type
class MemberMutations:
    @strawberry.mutation(extensions=org_role(*_ADMINS, of="orgId"))
    async def set_org_member(
        self, info: Ctx, org_id: strawberry.ID, user_id: strawberry.ID, role: OrgRole
    ) -> OrgMembershipPayload:
        """Add a user to the organization or change their role (never above your own).

        Org owners and admins add only people who already share one of their
        organizations (``not_in_your_organizations`` otherwise); platform admins and
        co-admins add anyone.
        """
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.members.set_org_member(
                principal, str(org_id), str(user_id), role
            )
        except MembershipError as exc:
            return OrgMembershipPayload(membership=None, errors=user_errors(exc))
        result = OrgMembershipResult(
            org_id=strawberry.ID(row.org_id), user_id=strawberry.ID(row.user_id), role=row.role
        )
        return OrgMembershipPayload(membership=result, errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="orgId"))
    async def remove_org_member(
        self, info: Ctx, org_id: strawberry.ID, user_id: strawberry.ID
    ) -> RemoveMemberPayload:
        """Remove a user from the organization and from its teams."""
        principal = info.context.require_principal()
        try:
            await info.context.runtime.orgs.members.remove_org_member(
                principal, str(org_id), str(user_id)
            )
        except MembershipError as exc:
            return RemoveMemberPayload(removed=False, errors=user_errors(exc))
        return RemoveMemberPayload(removed=True, errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="teamId", team_roles=_TEAM_ADMIN))
    async def set_team_member(
        self, info: Ctx, team_id: strawberry.ID, user_id: strawberry.ID, role: TeamRole
    ) -> TeamMembershipPayload:
        """Add a member of the organization to the team, or change their team role."""
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.members.set_team_member(
                principal, str(team_id), str(user_id), role
            )
        except MembershipError as exc:
            return TeamMembershipPayload(membership=None, errors=user_errors(exc))
        result = TeamMembershipResult(
            team_id=strawberry.ID(row.team_id), user_id=strawberry.ID(row.user_id), role=row.role
        )
        return TeamMembershipPayload(membership=result, errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="teamId", team_roles=_TEAM_ADMIN))
    async def remove_team_member(
        self, info: Ctx, team_id: strawberry.ID, user_id: strawberry.ID
    ) -> RemoveMemberPayload:
        principal = info.context.require_principal()
        try:
            await info.context.runtime.orgs.members.remove_team_member(
                principal, str(team_id), str(user_id)
            )
        except MembershipError as exc:
            return RemoveMemberPayload(removed=False, errors=user_errors(exc))
        return RemoveMemberPayload(removed=True, errors=[])
