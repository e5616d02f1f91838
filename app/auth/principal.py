"""Who is calling the admin API, and the one scope object that decides what they may see.

Platform admins see everything; everyone else sees only the organizations they belong to
and what lies inside them. Every list filters by it; every mutation checks it.

Team roles add rights inside one team: a ``team_admin`` manages the team's members and
every key of the team; a ``team_developer`` manages their own keys of the team; a
``team_viewer`` only reads (as every member of the organization does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import ActorType
from app.audit.service import Actor
from app.errors import PermissionDeniedError
from app.users.models import OrgMembership, OrgRole, PlatformRole, TeamMembership, TeamRole, User

__all__ = ["AUDITORS", "Principal", "load_user_principal"]

_PLATFORM_RANK = {
    PlatformRole.ORG_USER: 0,
    PlatformRole.PLATFORM_CO_ADMIN: 1,
    PlatformRole.PLATFORM_ADMIN: 2,
}
_ORG_RANK = {
    OrgRole.ORG_OWNER: 2,
    OrgRole.ORG_ADMIN: 1,
    OrgRole.ORG_BILLING: 0,
    OrgRole.ORG_AUDITOR: 0,
    OrgRole.ORG_MEMBER: 0,
}
_WRITERS = frozenset({OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN})
AUDITORS = (OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN, OrgRole.ORG_AUDITOR)
"""The organization roles that read their organization's audit log."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated admin-API caller with its roles."""

    kind: ActorType
    id: str | None
    platform_role: PlatformRole
    email: str | None = None
    org_roles: Mapping[str, OrgRole] = field(default_factory=dict)
    team_roles: Mapping[str, TeamRole] = field(default_factory=dict)
    must_change_password: bool = False
    request_id: str | None = None
    mfa_pending: bool = False
    """A platform admin who must use MFA (``require_mfa_for_admins``) and has not yet."""

    @property
    def is_platform_admin(self) -> bool:
        return self.platform_role is PlatformRole.PLATFORM_ADMIN

    @property
    def sees_everything(self) -> bool:
        return self.platform_role in (PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)

    def outranks_or_equals(self, role: PlatformRole) -> bool:
        return _PLATFORM_RANK[self.platform_role] >= _PLATFORM_RANK[role]

    def actor(self) -> Actor:
        return Actor(self.kind, self.id, self.request_id)

    def require_authority_over(self, user_id: str, role: PlatformRole, doing: str) -> None:
        """Account administration reaches users of the caller's rank or below, and never
        the caller's own account (``doing``: what the caller tried, for the message)."""
        if self.kind is ActorType.USER and self.id == user_id:
            raise PermissionDeniedError(f"You cannot {doing} your own account.", code="own_account")
        if not self.outranks_or_equals(role):
            raise PermissionDeniedError(
                f"You cannot {doing} someone above your own role.", code="forbidden"
            )

    def visible_org_ids(self) -> frozenset[str] | None:
        """The organizations this caller may see (None: all of them)."""
        return None if self.sees_everything else frozenset(self.org_roles)

    def audited_org_ids(self) -> frozenset[str] | None:
        """Organizations whose audit log this caller may read (None: all)."""
        if self.sees_everything:
            return None
        return frozenset(o for o, r in self.org_roles.items() if r in AUDITORS)

    def can_read_org(self, org_id: str) -> bool:
        return self.sees_everything or org_id in self.org_roles

    def can_write_org(self, org_id: str) -> bool:
        """Platform admins and the org's owners and admins (co-admins only read inside)."""
        return self.is_platform_admin or self.org_roles.get(org_id) in _WRITERS

    def org_rank(self, org_id: str) -> int:
        """How high the caller stands in the organization (platform admins above all)."""
        if self.is_platform_admin:
            return max(_ORG_RANK.values()) + 1
        role = self.org_roles.get(org_id)
        return -1 if role is None else _ORG_RANK[role]

    def team_role(self, team_id: str | None) -> TeamRole | None:
        return self.team_roles.get(team_id) if team_id is not None else None

    def manages_team(self, org_id: str | None, team_id: str | None) -> bool:
        """Platform admins, the organization's owners and admins, and the team's admins."""
        if self.is_platform_admin:
            return True
        if org_id is not None and self.org_roles.get(org_id) in _WRITERS:
            return True
        return self.team_role(team_id) is TeamRole.TEAM_ADMIN

    def may_change_key(
        self,
        org_id: str | None,
        team_id: str | None,
        user_id: str | None,
        *,
        own: bool = True,
    ) -> bool:
        """Team managers change every key of the team; with ``own``, a team_developer
        changes the keys of the team that belong to them."""
        if self.manages_team(org_id, team_id):
            return True
        return (
            own
            and self.id is not None
            and user_id == self.id
            and self.team_role(team_id) is TeamRole.TEAM_DEVELOPER
        )

    def require_read(self, org_id: str) -> None:
        if not self.can_read_org(org_id):
            raise PermissionDeniedError("That organization is not yours to see.", code="forbidden")

    def require_write(self, org_id: str) -> None:
        if not self.can_write_org(org_id):
            raise PermissionDeniedError(
                "Changing this needs the org_owner or org_admin role in its organization.",
                code="forbidden",
            )

    def require_team_manager(self, org_id: str, team_id: str) -> None:
        if not self.manages_team(org_id, team_id):
            raise PermissionDeniedError(
                "Changing this needs the team_admin role in the team, or org_owner or "
                "org_admin in its organization.",
                code="forbidden",
            )

    def require_key_change(
        self,
        org_id: str | None,
        team_id: str | None,
        user_id: str | None,
        *,
        own: bool = True,
    ) -> None:
        if not self.may_change_key(org_id, team_id, user_id, own=own):
            raise PermissionDeniedError(
                "That key is not yours to change: team developers change only their own keys.",
                code="forbidden",
            )


async def load_user_principal(
    sessions: async_sessionmaker[AsyncSession], user: User, *, request_id: str | None = None
) -> Principal:
    """A user's principal with their organization and team memberships."""
    async with sessions() as session:
        orgs = (
            await session.exec(select(OrgMembership).where(OrgMembership.user_id == user.id))
        ).all()
        teams = (
            await session.exec(select(TeamMembership).where(TeamMembership.user_id == user.id))
        ).all()
    return Principal(
        kind=ActorType.USER,
        id=user.id,
        platform_role=user.platform_role,
        email=user.email,
        org_roles={m.org_id: m.role for m in orgs},
        team_roles={m.team_id: m.role for m in teams},
        must_change_password=user.must_change_password,
        request_id=request_id,
    )
