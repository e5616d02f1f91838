"""Organizations and teams, within the caller's scope, each change audited.

Owners and admins of an organization rename it and manage its teams, including the teams'
budgets and limits; a team's admins rename their team. An organization's own budget and
limits are set by platform admins. Memberships: :mod:`app.orgs.memberships`; users' and
end users' budgets: :mod:`app.orgs.limits`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import record, snapshot
from app.auth.principal import Principal
from app.db.pagination import Page, paginate
from app.errors import BadRequestError, NotFoundError, PermissionDeniedError
from app.keys.invalidation import Invalidator
from app.keys.models import VirtualKey
from app.keys.spec import check_guardrail_names
from app.orgs.limits import BudgetService, check_limits
from app.orgs.memberships import MembershipService
from app.orgs.models import Organization, Team

__all__ = ["ConflictError", "Limits", "OrgService", "check_limits"]

_SLUG = re.compile(r"[^a-z0-9]+")


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
        return check_limits({f.name: getattr(self, f.name) for f in fields(self)})


def _name(name: str, what: str) -> str:
    name = name.strip()
    if not name:
        raise BadRequestError(f"{what} needs a name.", param="name", code="invalid")
    return name


def _apply(row: Organization | Team, changes: Mapping[str, Any]) -> None:
    if changes.get("budget_duration", row.budget_duration) != row.budget_duration:
        row.budget_reset_at = None  # the next charge starts a period of the new length
    for key, value in changes.items():
        setattr(row, key, value)


class OrgService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], invalidator: Invalidator
    ) -> None:
        self._sessions = sessions
        self._invalidator = invalidator
        self.members = MembershipService(sessions, invalidator)
        self.budgets = BudgetService(sessions, invalidator)

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
            raise PermissionDeniedError(
                "Only platform admins create organizations.", code="forbidden"
            )
        name = _name(name, "An organization")
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
            raise ConflictError(
                f"An organization named {name!r} (or with that slug) exists.", param="name"
            ) from None
        return org

    async def update_org(
        self,
        principal: Principal,
        org_id: str,
        name: str | None,
        limits: Mapping[str, Any] | None,
    ) -> Organization:
        """Rename (owners and admins) and change limits (platform admins): only what is sent."""
        principal.require_write(org_id)
        if limits and not principal.is_platform_admin:
            raise PermissionDeniedError(
                "An organization's budget and limits are set by platform admins.",
                code="forbidden",
            )
        changes = check_limits(limits or {})
        new_name = _name(name, "An organization") if name is not None else None
        try:
            async with self._sessions() as session, session.begin():
                org = await session.get(Organization, org_id)
                if org is None:
                    raise NotFoundError(f"no organization {org_id}", param="id")
                before = snapshot(org)
                if new_name is not None:
                    org.name = new_name
                _apply(org, changes)
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
        except IntegrityError:
            raise ConflictError(f"An organization named {name!r} exists.", param="name") from None
        if changes:
            await self._invalidator.publish(None)
        return org

    async def set_org_blocked(
        self, principal: Principal, org_id: str, blocked: bool
    ) -> Organization:
        """Block (or unblock) every key of an organization at once; platform admins only."""
        if not principal.is_platform_admin:
            raise PermissionDeniedError(
                "Organizations are blocked by platform admins.", code="forbidden"
            )
        async with self._sessions() as session, session.begin():
            org = await session.get(Organization, org_id)
            if org is None:
                raise NotFoundError(f"no organization {org_id}", param="id")
            before = snapshot(org)
            org.blocked = blocked
            record(
                session,
                principal.actor(),
                "organization.block" if blocked else "organization.unblock",
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
        name = _name(name, "A team")
        team = Team(org_id=org_id, name=name, **limits.values())
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
            raise NotFoundError(f"no team {team_id}", param="teamId")
        return team

    async def update_team(
        self,
        principal: Principal,
        team_id: str,
        name: str | None,
        limits: Mapping[str, Any] | None,
    ) -> Team:
        """Rename (team admins too) and change limits (org owners and admins): what is sent."""
        changes = check_limits(limits or {})
        new_name = _name(name, "A team") if name is not None else None
        try:
            async with self._sessions() as session, session.begin():
                team = await session.get(Team, team_id)
                if team is None:
                    raise NotFoundError(f"no team {team_id}", param="teamId")
                principal.require_team_manager(team.org_id, team.id)
                if changes:
                    principal.require_write(team.org_id)
                before = snapshot(team)
                if new_name is not None:
                    team.name = new_name
                _apply(team, changes)
                record(
                    session,
                    principal.actor(),
                    "team.update",
                    "team",
                    team.id,
                    org_id=team.org_id,
                    before=before,
                    after=snapshot(team),
                )
                hashes = await _key_hashes(session, team.id) if changes else []
        except IntegrityError:
            raise ConflictError(f"A team named {name!r} exists there.", param="name") from None
        if hashes:
            await self._invalidator.publish(hashes)
        return team

    async def set_team_guardrails(
        self, principal: Principal, team_id: str, guardrails: list[str]
    ) -> Team:
        """The guardrails every key of the team runs; org owners and admins (not team admins,
        whose team it limits)."""
        names = list(dict.fromkeys(guardrails))
        check_guardrail_names(names)
        return await self._change_team(
            principal,
            team_id,
            "team.set_guardrails",
            lambda team: setattr(team, "guardrails", names),
        )

    async def set_team_blocked(self, principal: Principal, team_id: str, blocked: bool) -> Team:
        """Block (or unblock) every key of a team at once; org owners and admins."""
        action = "team.block" if blocked else "team.unblock"
        return await self._change_team(
            principal, team_id, action, lambda team: setattr(team, "blocked", blocked)
        )

    async def _change_team(
        self, principal: Principal, team_id: str, action: str, apply: Callable[[Team], None]
    ) -> Team:
        """One audited change by an org owner or admin that every key of the team sees."""
        async with self._sessions() as session, session.begin():
            team = await session.get(Team, team_id)
            if team is None:
                raise NotFoundError(f"no team {team_id}", param="teamId")
            principal.require_write(team.org_id)
            before = snapshot(team)
            apply(team)
            record(
                session,
                principal.actor(),
                action,
                "team",
                team.id,
                org_id=team.org_id,
                before=before,
                after=snapshot(team),
            )
            hashes = await _key_hashes(session, team.id)
        if hashes:
            await self._invalidator.publish(hashes)
        return team


async def _key_hashes(session: AsyncSession, team_id: str) -> list[str]:
    """Every hash that may name a key of the team (current and previous secrets)."""
    query = select(VirtualKey.key_hash, VirtualKey.previous_key_hash).where(
        VirtualKey.team_id == team_id
    )
    rows = (await session.exec(query)).all()
    return [h for row in rows for h in row if h is not None]
