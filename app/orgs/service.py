"""Organizations, teams and memberships, within the caller's scope, each change audited."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import record, snapshot
from app.auth.principal import Principal
from app.db.pagination import Page, paginate
from app.errors import BadRequestError, NotFoundError, PermissionDeniedError
from app.keys.invalidation import Invalidator
from app.limits.periods import parse_duration
from app.orgs.models import Organization, Team
from app.users.models import OrgMembership, OrgRole, TeamMembership, TeamRole, User

__all__ = ["ConflictError", "Limits", "OrgService"]

_SLUG = re.compile(r"[^a-z0-9]+")
_GRANTABLE = {
    OrgRole.ORG_OWNER: frozenset(OrgRole),
    OrgRole.ORG_ADMIN: frozenset(OrgRole) - {OrgRole.ORG_OWNER},
}


class ConflictError(BadRequestError):
    """The name is taken (409-like; the API reports it as a user error)."""

    default_code = "conflict"


@dataclass
class Limits:
    """Budget and rate limits shared by organizations and teams (None: no limit)."""

    max_budget: Decimal | None = None
    soft_budget: Decimal | None = None
    budget_duration: str | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None
    models: list[str] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        if self.budget_duration is not None:
            try:
                parse_duration(self.budget_duration)
            except ValueError as exc:
                raise BadRequestError(str(exc), param="budgetDuration") from None
        for name in (
            "max_budget",
            "soft_budget",
            "rpm_limit",
            "tpm_limit",
            "max_parallel_requests",
        ):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise BadRequestError(f"{name} cannot be negative", param=name)
        return {k: v for k, v in self.__dict__.items()}


class OrgService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], invalidator: Invalidator
    ) -> None:
        self._sessions = sessions
        self._invalidator = invalidator

    # --- organizations ------------------------------------------------------

    async def list_orgs(
        self, principal: Principal, *, first: int = 50, after: str | None = None
    ) -> Page[Organization]:
        query = select(Organization)
        visible = principal.visible_org_ids()
        if visible is not None:
            query = query.where(col(Organization.id).in_(visible))
        async with self._sessions() as session:
            return await paginate(session, query, Organization, first=first, after=after)

    async def get_org(self, principal: Principal, org_id: str) -> Organization:
        principal.require_read(org_id)
        async with self._sessions() as session:
            org = await session.get(Organization, org_id)
        if org is None:
            raise NotFoundError(f"no organization {org_id}", param="id")
        return org

    async def create_org(self, principal: Principal, name: str, limits: Limits) -> Organization:
        if not principal.sees_everything:
            raise PermissionDeniedError("Only platform admins create organizations.")
        name = name.strip()
        if not name:
            raise BadRequestError("An organization needs a name.", param="name")
        slug = _SLUG.sub("-", name.lower()).strip("-") or "org"
        org = Organization(name=name, slug=slug, **limits.values())
        try:
            async with self._sessions() as session, session.begin():
                session.add(org)
                await session.flush()
                record(
                    session,
                    principal.actor(),
                    "organization.create",
                    "organization",
                    org.id,
                    org_id=org.id,
                    after=snapshot(org),
                )
        except IntegrityError:
            raise ConflictError(f"An organization named {name!r} exists.", param="name") from None
        return org

    async def update_org(
        self, principal: Principal, org_id: str, name: str | None, limits: Limits | None
    ) -> Organization:
        principal.require_write(org_id)
        async with self._sessions() as session, session.begin():
            org = await session.get(Organization, org_id)
            if org is None:
                raise NotFoundError(f"no organization {org_id}", param="id")
            before = snapshot(org)
            if name is not None:
                org.name = name.strip()
            for key, value in (limits.values() if limits else {}).items():
                setattr(org, key, value)
            record(
                session,
                principal.actor(),
                "organization.update",
                "organization",
                org.id,
                org_id=org.id,
                before=before,
                after=snapshot(org),
            )
        await self._invalidator.publish(None)
        return org

    # --- teams --------------------------------------------------------------

    async def list_teams(
        self, principal: Principal, org_id: str, *, first: int = 50, after: str | None = None
    ) -> Page[Team]:
        principal.require_read(org_id)
        async with self._sessions() as session:
            query = select(Team).where(Team.org_id == org_id)
            return await paginate(session, query, Team, first=first, after=after)

    async def create_team(
        self, principal: Principal, org_id: str, name: str, limits: Limits
    ) -> Team:
        principal.require_write(org_id)
        team = Team(org_id=org_id, name=name.strip(), **limits.values())
        try:
            async with self._sessions() as session, session.begin():
                if await session.get(Organization, org_id) is None:
                    raise NotFoundError(f"no organization {org_id}", param="orgId")
                session.add(team)
                await session.flush()
                record(
                    session,
                    principal.actor(),
                    "team.create",
                    "team",
                    team.id,
                    org_id=org_id,
                    after=snapshot(team),
                )
        except IntegrityError:
            raise ConflictError(f"A team named {name!r} exists there.", param="name") from None
        return team

    async def get_team(self, principal: Principal, team_id: str) -> Team:
        async with self._sessions() as session:
            team = await session.get(Team, team_id)
        if team is None or not principal.can_read_org(team.org_id):
            raise NotFoundError(f"no team {team_id}", param="id")
        return team

    # --- memberships --------------------------------------------------------

    async def add_org_member(
        self, principal: Principal, org_id: str, user_id: str, role: OrgRole
    ) -> OrgMembership:
        """Grant ``role``; nobody grants more than they hold."""
        principal.require_write(org_id)
        own = principal.org_roles.get(org_id)
        grantable = _GRANTABLE.get(own, frozenset()) if own is not None else frozenset()
        if not principal.sees_everything and role not in grantable:
            raise PermissionDeniedError(f"You cannot grant {role.value}.", code="forbidden")
        async with self._sessions() as session, session.begin():
            if await session.get(User, user_id) is None:
                raise NotFoundError(f"no user {user_id}", param="userId")
            membership = await _set_membership(
                session,
                principal,
                OrgMembership,
                {"org_id": org_id, "user_id": user_id},
                role,
                org_id,
            )
        return membership

    async def set_team_member(
        self, principal: Principal, team_id: str, user_id: str, role: TeamRole
    ) -> TeamMembership:
        """Add a user to a team (or change their role); they must belong to its org."""
        async with self._sessions() as session, session.begin():
            team = await session.get(Team, team_id)
            if team is None:
                raise NotFoundError(f"no team {team_id}", param="teamId")
            principal.require_write(team.org_id)
            query = select(OrgMembership).where(
                OrgMembership.org_id == team.org_id, OrgMembership.user_id == user_id
            )
            if (await session.exec(query)).first() is None:
                raise BadRequestError(
                    "Add the user to the team's organization first.", param="userId"
                )
            membership = await _set_membership(
                session,
                principal,
                TeamMembership,
                {"team_id": team_id, "user_id": user_id},
                role,
                team.org_id,
            )
        return membership


M = TypeVar("M", OrgMembership, TeamMembership)


async def _set_membership(
    session: AsyncSession,
    principal: Principal,
    model: type[M],
    keys: dict[str, str],
    role: Any,
    org_id: str,
) -> M:
    """Create the membership or change its role, and audit it, in the caller's transaction."""
    query = select(model)
    for name, value in keys.items():
        query = query.where(getattr(model, name) == value)
    membership = (await session.exec(query)).first()
    before = snapshot(membership) if membership else None
    if membership is None:
        membership = model.model_validate({**keys, "role": role})
        session.add(membership)
    else:
        membership.role = role
    await session.flush()
    kind = str(model.__tablename__).removesuffix("s")
    record(
        session,
        principal.actor(),
        f"{kind}.set",
        kind,
        membership.id,
        org_id=org_id,
        before=before,
        after=snapshot(membership),
    )
    return membership
