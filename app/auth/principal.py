"""Who is calling the admin API, and the one scope object that decides what they may see.

Platform admins see everything; everyone else sees only the organizations they belong to
and what lies inside them. Every list filters by it; every mutation checks it.
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

__all__ = ["Principal", "load_user_principal"]

_PLATFORM_RANK = {
    PlatformRole.ORG_USER: 0,
    PlatformRole.PLATFORM_CO_ADMIN: 1,
    PlatformRole.PLATFORM_ADMIN: 2,
}
_WRITERS = frozenset({OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN})
_AUDITORS = frozenset({OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN, OrgRole.ORG_AUDITOR})


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

    def visible_org_ids(self) -> frozenset[str] | None:
        """The organizations this caller may see (None: all of them)."""
        return None if self.sees_everything else frozenset(self.org_roles)

    def audited_org_ids(self) -> frozenset[str] | None:
        """Organizations whose audit log this caller may read (None: all)."""
        if self.sees_everything:
            return None
        return frozenset(o for o, r in self.org_roles.items() if r in _AUDITORS)

    def can_read_org(self, org_id: str) -> bool:
        return self.sees_everything or org_id in self.org_roles

    def can_write_org(self, org_id: str) -> bool:
        """Platform admins and co-admins, and the org's owners and admins."""
        return self.sees_everything or self.org_roles.get(org_id) in _WRITERS

    def require_read(self, org_id: str) -> None:
        if not self.can_read_org(org_id):
            raise PermissionDeniedError("That organization is not yours to see.", code="forbidden")

    def require_write(self, org_id: str) -> None:
        if not self.can_write_org(org_id):
            raise PermissionDeniedError(
                "Changing this needs the org_owner or org_admin role in its organization.",
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
