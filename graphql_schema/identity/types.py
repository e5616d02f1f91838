"""GraphQL types of the signed-in caller, users and sign-in results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from app.auth.principal import Principal
from app.users.models import OrgRole, PlatformRole, TeamRole
from app.users.models import User as UserRow
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.types import UserError
from graphql_schema.permissions import platform_role as requires_platform_role

__all__ = [
    "LoginPayload",
    "MfaEnrollment",
    "User",
    "UserOrgMembership",
    "UserPayload",
    "UserTeamMembership",
    "UserUpdatePayload",
    "Viewer",
]


@strawberry.type
class OrgRoleGrant:
    org_id: strawberry.ID
    role: OrgRole


@strawberry.type
class TeamRoleGrant:
    team_id: strawberry.ID
    role: TeamRole


@strawberry.type
class Viewer:
    """``mfaSetupRequired``: an administrator who must set up MFA before anything else.
    ``orgRoles``/``teamRoles``: the caller's roles, so a client can show what they may do."""

    kind: str
    id: str | None
    email: str | None
    platform_role: PlatformRole
    must_change_password: bool
    mfa_setup_required: bool
    org_ids: list[strawberry.ID]
    org_roles: list[OrgRoleGrant]
    team_roles: list[TeamRoleGrant]

    @classmethod
    def of(cls, principal: Principal) -> Viewer:
        return cls(
            kind=principal.kind.value,
            id=principal.id,
            email=principal.email,
            platform_role=principal.platform_role,
            must_change_password=principal.must_change_password,
            mfa_setup_required=principal.mfa_pending,
            org_ids=[strawberry.ID(o) for o in principal.org_roles],
            org_roles=[
                OrgRoleGrant(org_id=strawberry.ID(o), role=r)
                for o, r in sorted(principal.org_roles.items())
            ],
            team_roles=[
                TeamRoleGrant(team_id=strawberry.ID(t), role=r)
                for t, r in sorted(principal.team_roles.items())
            ],
        )


@strawberry.type
class UserOrgMembership:
    """One organization a user belongs to, and their role there."""

    org_id: strawberry.ID
    org_name: str
    role: OrgRole


@strawberry.type
class UserTeamMembership:
    """One team a user belongs to (with its organization), and their role there."""

    team_id: strawberry.ID
    team_name: str
    org_id: strawberry.ID
    role: TeamRole


_SEES_USERS = (PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    display_name: str | None
    platform_role: PlatformRole
    blocked: bool
    must_change_password: bool
    mfa_enabled: bool
    last_login_at: datetime | None
    created_at: datetime

    @strawberry.field(extensions=requires_platform_role(*_SEES_USERS))
    async def org_memberships(self, info: Info[GraphQLContext, Any]) -> list[UserOrgMembership]:
        """The organizations this user belongs to (batched across every user in the answer)."""
        rows = await info.context.loaders.org_memberships_by_user_id.load(str(self.id))
        return [
            UserOrgMembership(org_id=strawberry.ID(org.id), org_name=org.name, role=m.role)
            for m, org in rows
        ]

    @strawberry.field(extensions=requires_platform_role(*_SEES_USERS))
    async def team_memberships(self, info: Info[GraphQLContext, Any]) -> list[UserTeamMembership]:
        """The teams this user belongs to (batched across every user in the answer)."""
        rows = await info.context.loaders.team_memberships_by_user_id.load(str(self.id))
        return [
            UserTeamMembership(
                team_id=strawberry.ID(team.id),
                team_name=team.name,
                org_id=strawberry.ID(team.org_id),
                role=m.role,
            )
            for m, team in rows
        ]

    @classmethod
    def of(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(row.id),
            email=row.email,
            display_name=row.display_name,
            platform_role=row.platform_role,
            blocked=row.blocked,
            must_change_password=row.must_change_password,
            mfa_enabled=row.mfa_enabled,
            last_login_at=row.last_login_at,
            created_at=row.created_at,
        )


@strawberry.type
class LoginPayload:
    """``mfaRequired``: the password was right; send it again with ``totpCode``."""

    ok: bool
    mfa_required: bool
    must_change_password: bool
    errors: list[UserError]


@strawberry.type
class UserPayload:
    """``temporaryPassword`` is shown once, when the gateway chose the password."""

    user: User | None
    temporary_password: str | None
    errors: list[UserError]


@strawberry.type
class UserUpdatePayload:
    """The user after the change, or ``errors`` when nothing changed."""

    user: User | None
    errors: list[UserError]


@strawberry.type
class MfaEnrollment:
    otpauth_uri: str
    secret: str
