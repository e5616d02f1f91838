"""Changing organizations and teams; every change is audited by the service.

Expected failures (a taken name, an invalid limit) come back in the payload's ``errors``;
a refused permission or an unknown target stays a GraphQL error.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.errors import BadRequestError
from app.orgs.service import Limits
from app.users.models import OrgRole, PlatformRole, TeamRole
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.errors import user_errors
from graphql_schema.orgs.types import (
    LimitsInput,
    Organization,
    OrganizationPayload,
    Team,
    TeamPayload,
    limit_changes,
)
from graphql_schema.permissions import org_role, platform_role

__all__ = ["OrgMutations"]

Ctx = Info[GraphQLContext, Any]
_ADMINS = (OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN)


def _limits(value: LimitsInput | None) -> Limits:
    return Limits(**limit_changes(value))


@strawberry.input
class CreateTeamInput:
    org_id: strawberry.ID
    name: str
    limits: LimitsInput | None = None


@strawberry.type
class OrgMutations:
    @strawberry.mutation(
        extensions=platform_role(PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)
    )
    async def create_organization(
        self, info: Ctx, name: str, limits: LimitsInput | None = None
    ) -> OrganizationPayload:
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.create_org(principal, name, _limits(limits))
        except BadRequestError as exc:
            return OrganizationPayload(organization=None, errors=user_errors(exc))
        return OrganizationPayload(organization=Organization.of(row), errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="id"))
    async def update_organization(
        self,
        info: Ctx,
        id: strawberry.ID,
        name: str | None = None,
        limits: LimitsInput | None = None,
    ) -> OrganizationPayload:
        """Rename it (owners, admins); its budget and limits are set by platform admins."""
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.update_org(
                principal, str(id), name, limit_changes(limits)
            )
        except BadRequestError as exc:
            return OrganizationPayload(organization=None, errors=user_errors(exc))
        return OrganizationPayload(organization=Organization.of(row), errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="orgId"))
    async def create_team(self, info: Ctx, input: CreateTeamInput) -> TeamPayload:
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.create_team(
                principal, str(input.org_id), input.name, _limits(input.limits)
            )
        except BadRequestError as exc:
            return TeamPayload(team=None, errors=user_errors(exc))
        return TeamPayload(team=Team.of(row), errors=[])

    @strawberry.mutation(extensions=platform_role(PlatformRole.PLATFORM_ADMIN))
    async def set_organization_blocked(
        self, info: Ctx, id: strawberry.ID, blocked: bool
    ) -> Organization:
        """Refuse (or allow again) every key of the organization, on every instance at once."""
        principal = info.context.require_principal()
        row = await info.context.runtime.orgs.set_org_blocked(principal, str(id), blocked)
        return Organization.of(row)

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="teamId"))
    async def set_team_blocked(self, info: Ctx, team_id: strawberry.ID, blocked: bool) -> Team:
        """Refuse (or allow again) every key of the team, on every instance at once."""
        principal = info.context.require_principal()
        row = await info.context.runtime.orgs.set_team_blocked(principal, str(team_id), blocked)
        return Team.of(row)

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="teamId"))
    async def set_team_guardrails(
        self, info: Ctx, team_id: strawberry.ID, guardrails: list[str]
    ) -> TeamPayload:
        """The guardrails every call with one of the team's keys runs (an empty list: none
        besides the keys' own and the default ones)."""
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.set_team_guardrails(
                principal, str(team_id), list(guardrails)
            )
        except BadRequestError as exc:
            return TeamPayload(team=None, errors=user_errors(exc))
        return TeamPayload(team=Team.of(row), errors=[])

    @strawberry.mutation(
        extensions=org_role(*_ADMINS, of="teamId", team_roles=(TeamRole.TEAM_ADMIN,))
    )
    async def update_team(
        self,
        info: Ctx,
        team_id: strawberry.ID,
        name: str | None = None,
        limits: LimitsInput | None = None,
    ) -> TeamPayload:
        """Rename it (team admins too); its budget and limits are set by org owners/admins."""
        principal = info.context.require_principal()
        try:
            row = await info.context.runtime.orgs.update_team(
                principal, str(team_id), name, limit_changes(limits)
            )
        except BadRequestError as exc:
            return TeamPayload(team=None, errors=user_errors(exc))
        return TeamPayload(team=Team.of(row), errors=[])
