"""GraphQL types of organizations and teams."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.orgs.models import Organization as OrganizationRow
from app.orgs.models import Team as TeamRow
from app.users.models import OrgMembership as OrgMembershipRow
from app.users.models import OrgRole, TeamRole
from app.users.models import TeamMembership as TeamMembershipRow
from app.users.models import User as UserRow
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.errors import UserError

__all__ = [
    "LimitsInput",
    "Member",
    "OrgMembershipPayload",
    "OrgMembershipResult",
    "Organization",
    "OrganizationPayload",
    "RemoveMemberPayload",
    "Team",
    "TeamMembershipPayload",
    "TeamMembershipResult",
    "TeamPayload",
    "limit_changes",
]


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    slug: str
    max_budget: Decimal | None
    soft_budget: Decimal | None
    budget_duration: str | None
    spend: Decimal
    rpm_limit: int | None
    tpm_limit: int | None
    max_parallel_requests: int | None
    models: list[str]
    blocked: bool
    created_at: datetime

    @strawberry.field
    async def teams(self, info: Info[GraphQLContext, Any]) -> list[Team]:
        """The organization's teams (batched across every organization in the answer)."""
        rows = await info.context.loaders.teams_by_org_id.load(str(self.id))
        return [Team.of(row) for row in rows]

    @classmethod
    def of(cls, row: OrganizationRow) -> Organization:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            slug=row.slug,
            max_budget=row.max_budget,
            soft_budget=row.soft_budget,
            budget_duration=row.budget_duration,
            spend=row.spend,
            rpm_limit=row.rpm_limit,
            tpm_limit=row.tpm_limit,
            max_parallel_requests=row.max_parallel_requests,
            models=list(row.models),
            blocked=row.blocked,
            created_at=row.created_at,
        )


@strawberry.type
class Team:
    id: strawberry.ID
    org_id: strawberry.ID
    name: str
    max_budget: Decimal | None
    budget_duration: str | None
    spend: Decimal
    rpm_limit: int | None
    tpm_limit: int | None
    max_parallel_requests: int | None
    models: list[str]
    blocked: bool
    guardrails: list[str]
    created_at: datetime

    @classmethod
    def of(cls, row: TeamRow) -> Team:
        return cls(
            id=strawberry.ID(row.id),
            org_id=strawberry.ID(row.org_id),
            name=row.name,
            max_budget=row.max_budget,
            budget_duration=row.budget_duration,
            spend=row.spend,
            rpm_limit=row.rpm_limit,
            tpm_limit=row.tpm_limit,
            max_parallel_requests=row.max_parallel_requests,
            models=list(row.models),
            blocked=row.blocked,
            guardrails=list(row.guardrails),
            created_at=row.created_at,
        )


@strawberry.input
class LimitsInput:
    """Budget and rate limits. In an update only the fields sent change; ``null`` removes a
    limit (``models: null`` or ``[]``: every model)."""

    max_budget: Decimal | None = strawberry.UNSET
    soft_budget: Decimal | None = strawberry.UNSET
    budget_duration: str | None = strawberry.UNSET
    rpm_limit: int | None = strawberry.UNSET
    tpm_limit: int | None = strawberry.UNSET
    max_parallel_requests: int | None = strawberry.UNSET
    models: list[str] | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        """The fields sent, by their service names."""
        names = LimitsInput.__annotations__
        return {n: v for n in names if (v := getattr(self, n)) is not strawberry.UNSET}


def limit_changes(value: LimitsInput | None) -> dict[str, Any]:
    return value.changes() if value is not None else {}


@strawberry.type
class OrganizationPayload:
    organization: Organization | None
    errors: list[UserError]


@strawberry.type
class TeamPayload:
    team: Team | None
    errors: list[UserError]


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
class OrgMembershipPayload:
    membership: OrgMembershipResult | None
    errors: list[UserError]


@strawberry.type
class TeamMembershipPayload:
    membership: TeamMembershipResult | None
    errors: list[UserError]


@strawberry.type
class RemoveMemberPayload:
    """``removed`` is true when the membership (and, for an organization, the user's team
    memberships there) was deleted."""

    removed: bool
    errors: list[UserError]


@strawberry.type
class Member:
    """A user's membership of an organization (``role``) or a team (``teamRole``)."""

    user_id: strawberry.ID
    email: str | None
    display_name: str | None
    role: OrgRole | None
    team_role: TeamRole | None
    created_at: datetime

    @classmethod
    def of(cls, row: OrgMembershipRow | TeamMembershipRow, user: UserRow | None) -> Member:
        return cls(
            user_id=strawberry.ID(row.user_id),
            email=user.email if user else None,
            display_name=user.display_name if user else None,
            role=row.role if isinstance(row, OrgMembershipRow) else None,
            team_role=row.role if isinstance(row, TeamMembershipRow) else None,
            created_at=row.created_at,
        )
