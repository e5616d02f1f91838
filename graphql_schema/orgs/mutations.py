"""Changing organizations, teams and memberships; every change is audited by the service."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.orgs.service import Limits
from app.users.models import OrgRole, PlatformRole, TeamRole
from graphql_schema.context import GraphQLContext
from graphql_schema.orgs.types import LimitsInput, Organization, Team
from graphql_schema.permissions import org_role, platform_role

__all__ = ["OrgMutations"]

Ctx = Info[GraphQLContext, Any]
_ADMINS = (OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN)


def _limits(value: LimitsInput | None) -> Limits:
    if value is None:
        return Limits()
    return Limits(**{k: getattr(value, k) for k in Limits.__dataclass_fields__})


@strawberry.input
class CreateTeamInput:
    org_id: strawberry.ID
    name: str
    limits: LimitsInput | None = None


@strawberry.type
class OrgMembershipResult:
    org_id: strawberry.ID
    user_id: strawberry.ID
    role: OrgRole


@strawberry.type
class TeamMembershipResult:
    team_id: strawberry.ID
    user_id: strawberry.ID
    role: TeamRole


@strawberry.type
class OrgMutations:
    @strawberry.mutation(
        extensions=platform_role(PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)
    )
    async def create_organization(
        self, info: Ctx, name: str, limits: LimitsInput | None = None
    ) -> Organization:
        principal = info.context.require_principal()
        row = await info.context.runtime.orgs.create_org(principal, name, _limits(limits))
        return Organization.of(row)

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="id"))
    async def update_organization(
        self,
        info: Ctx,
        id: strawberry.ID,
        name: str | None = None,
        limits: LimitsInput | None = None,
    ) -> Organization:
        principal = info.context.require_principal()
        row = await info.context.runtime.orgs.update_org(
            principal, str(id), name, _limits(limits) if limits else None
        )
        return Organization.of(row)

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="orgId"))
    async def create_team(self, info: Ctx, input: CreateTeamInput) -> Team:
        principal = info.context.require_principal()
        row = await info.context.runtime.orgs.create_team(
            principal, str(input.org_id), input.name, _limits(input.limits)
        )
        return Team.of(row)

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="orgId"))
    async def set_org_member(
        self,
        info: Ctx,
        org_id: strawberry.ID,
        user_id: strawberry.ID,
        role: OrgRole,
    ) -> OrgMembershipResult:
        principal = info.context.require_principal()
        membership = await info.context.runtime.orgs.add_org_member(
            principal, str(org_id), str(user_id), role
        )
        return OrgMembershipResult(
            org_id=strawberry.ID(membership.org_id),
            user_id=strawberry.ID(membership.user_id),
            role=membership.role,
        )

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="teamId"))
    async def set_team_member(
        self, info: Ctx, team_id: strawberry.ID, user_id: strawberry.ID, role: TeamRole
    ) -> TeamMembershipResult:
        principal = info.context.require_principal()
        membership = await info.context.runtime.orgs.set_team_member(
            principal, str(team_id), str(user_id), role
        )
        return TeamMembershipResult(
            team_id=strawberry.ID(membership.team_id),
            user_id=strawberry.ID(membership.user_id),
            role=membership.role,
        )
