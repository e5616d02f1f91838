"""Who belongs to an organization or team, with which role; every change audited.

Rules: nobody grants a role above their own; nobody changes or removes the membership of
someone who stands above them in the organization (an org_admin cannot touch an
org_owner); an organization always keeps one org_owner; only platform admins (and
co-admins) add someone who shares none of the caller's organizations. Team admins
manage their team's members (every team role). A team member must belong to the team's
organization, so removing someone from an organization removes them from its teams too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import record, snapshot
from app.auth.principal import Principal
from app.db.pagination import Page, paginate
from app.db.statements import get_for_update
from app.errors import BadRequestError, NotFoundError, PermissionDeniedError
from app.keys.invalidation import Invalidator
from app.keys.models import VirtualKey
from app.orgs.models import Organization, Team
from app.users.models import OrgMembership, OrgRole, TeamMembership, TeamRole, User

__all__ = ["MemberPage", "MembershipError", "MembershipService"]

_RANK = {OrgRole.ORG_OWNER: 2, OrgRole.ORG_ADMIN: 1}


class MembershipError(BadRequestError):
    """An expected refusal the caller can fix: unknown user, not a member, last owner."""


M = TypeVar("M", OrgMembership, TeamMembership)


@dataclass(frozen=True, slots=True)
class MemberPage(Generic[M]):
    """One page of memberships and the users they name."""

    page: Page[M]
    users: dict[str, User]


def _rank(role: OrgRole | None) -> int:
    return -1 if role is None else _RANK.get(role, 0)


def _forbid(message: str) -> PermissionDeniedError:
    return PermissionDeniedError(message, code="forbidden")


class MembershipService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], invalidator: Invalidator
    ) -> None:
        self._sessions = sessions
        self._invalidator = invalidator

    # --- organizations ------------------------------------------------------

    async def set_org_member(
        self, principal: Principal, org_id: str, user_id: str, role: OrgRole
    ) -> OrgMembership:
        """Grant ``role`` (or change it); nobody grants more than they hold."""
        principal.require_write(org_id)
        if _rank(role) > principal.org_rank(org_id):
            raise _forbid(f"You cannot grant {role.value}.")
        async with self._sessions() as session, session.begin():
            await _lock_org(session, org_id)
            current = await _org_membership(session, org_id, user_id)
            if current is None:
                await _require_reachable(session, principal, user_id)
            else:
                _require_outranks(principal, org_id, current.role)
                if current.role is OrgRole.ORG_OWNER and role is not OrgRole.ORG_OWNER:
                    await _require_other_owner(session, org_id)
            return await _upsert(
                session, principal, OrgMembership, current, org_id, user_id, role, org_id=org_id
            )

    async def remove_org_member(self, principal: Principal, org_id: str, user_id: str) -> None:
        """Remove the user from the organization and from every team in it, and block the
        keys they own there (an admin may unblock a key to hand it over)."""
        principal.require_write(org_id)
        async with self._sessions() as session, session.begin():
            await _lock_org(session, org_id)
            current = await _org_membership(session, org_id, user_id)
            if current is None:
                raise _not_a_member("organization")
            _require_outranks(principal, org_id, current.role)
            if current.role is OrgRole.ORG_OWNER:
                await _require_other_owner(session, org_id)
            teams = select(Team.id).where(Team.org_id == org_id)
            query = select(TeamMembership).where(
                TeamMembership.user_id == user_id, col(TeamMembership.team_id).in_(teams)
            )
            for team_membership in (await session.exec(query)).all():
                await _remove(session, principal, team_membership, org_id)
            await _remove(session, principal, current, org_id)
            hashes = await _block_keys_of(session, principal, org_id, user_id)
        if hashes:
            await self._invalidator.publish(hashes)

    async def org_members(
        self, principal: Principal, org_id: str, *, first: int, after: str | None
    ) -> MemberPage[OrgMembership]:
        principal.require_read(org_id)
        query = select(OrgMembership).where(OrgMembership.org_id == org_id)
        async with self._sessions() as session:
            page = await paginate(session, query, OrgMembership, first=first, after=after)
            return MemberPage(page, await _users(session, [m.user_id for m in page.items]))

    # --- teams --------------------------------------------------------------

    async def set_team_member(
        self, principal: Principal, team_id: str, user_id: str, role: TeamRole
    ) -> TeamMembership:
        """Add a user to a team (or change their role); they must belong to its org."""
        async with self._sessions() as session, session.begin():
            team = await _team(session, principal, team_id)
            await _require_user(session, user_id)
            in_org = await _org_membership(session, team.org_id, user_id)
            if in_org is None:
                raise MembershipError(
                    "Add the user to the team's organization first.",
                    param="user_id",
                    code="not_a_member",
                )
            # Adding counts as touching: nobody puts someone above them into a team.
            _require_outranks(principal, team.org_id, in_org.role)
            current = await _team_membership(session, team_id, user_id)
            return await _upsert(
                session,
                principal,
                TeamMembership,
                current,
                team_id,
                user_id,
                role,
                org_id=team.org_id,
            )

    async def remove_team_member(self, principal: Principal, team_id: str, user_id: str) -> None:
        async with self._sessions() as session, session.begin():
            team = await _team(session, principal, team_id)
            current = await _team_membership(session, team_id, user_id)
            if current is None:
                raise _not_a_member("team")
            in_org = await _org_membership(session, team.org_id, user_id)
            _require_outranks(principal, team.org_id, in_org.role if in_org else None)
            await _remove(session, principal, current, team.org_id)

    async def team_members(
        self, principal: Principal, team_id: str, *, first: int, after: str | None
    ) -> MemberPage[TeamMembership]:
        async with self._sessions() as session:
            team = await session.get(Team, team_id)
            if team is None:
                raise NotFoundError(f"no team {team_id}", param="teamId")
            principal.require_read(team.org_id)
            query = select(TeamMembership).where(TeamMembership.team_id == team_id)
            page = await paginate(session, query, TeamMembership, first=first, after=after)
            return MemberPage(page, await _users(session, [m.user_id for m in page.items]))


async def _block_keys_of(
    session: AsyncSession, principal: Principal, org_id: str, user_id: str
) -> list[str]:
    """Block the user's usable keys in the organization, each audited; their hashes."""
    query = select(VirtualKey).where(
        VirtualKey.org_id == org_id,
        VirtualKey.user_id == user_id,
        col(VirtualKey.revoked_at).is_(None),
        col(VirtualKey.blocked).is_(False),
    )
    hashes: list[str] = []
    for key in (await session.exec(query)).all():
        key.blocked = True
        record(
            session,
            principal.actor(),
            "key.block",
            "key",
            key.id,
            org_id=org_id,
            before={"blocked": False},
            after={"blocked": True, "reason": "owner left the organization"},
        )
        hashes.extend(h for h in (key.key_hash, key.previous_key_hash) if h is not None)
    return hashes


def _not_a_member(what: str) -> MembershipError:
    return MembershipError(
        f"The user is not a member of this {what}.", param="user_id", code="not_a_member"
    )


def _require_outranks(principal: Principal, org_id: str, role: OrgRole | None) -> None:
    """Refuse to touch someone who stands above the caller in the organization."""
    if _rank(role) > principal.org_rank(org_id):
        raise _forbid("That member stands above you in the organization.")


async def _lock_org(session: AsyncSession, org_id: str) -> None:
    """Serialise membership changes of one organization (the last-owner rule needs it)."""
    if await get_for_update(session, Organization, org_id) is None:
        raise NotFoundError(f"no organization {org_id}", param="orgId")


async def _team(session: AsyncSession, principal: Principal, team_id: str) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"no team {team_id}", param="teamId")
    principal.require_team_manager(team.org_id, team.id)
    await _lock_org(session, team.org_id)
    return team


async def _require_reachable(session: AsyncSession, principal: Principal, user_id: str) -> None:
    """Refuse to add a user the caller may not bring in.

    Platform admins and co-admins (who see every user already) add anyone. Everyone else
    adds only people who already share one of the caller's organizations: an org admin
    cannot pull a stranger from another organization in and then read their e-mail. An
    unknown id and a stranger get the same answer, so ids cannot be probed.
    """
    if principal.sees_everything:
        await _require_user(session, user_id)
        return
    shared = (
        select(OrgMembership.id)
        .where(OrgMembership.user_id == user_id)
        .where(col(OrgMembership.org_id).in_(sorted(principal.org_roles)))
        .limit(1)
    )
    if not principal.org_roles or (await session.exec(shared)).first() is None:
        raise MembershipError(
            "You can add only people who already share one of your organizations; "
            "a platform admin adds anyone else.",
            param="user_id",
            code="not_in_your_organizations",
        )


async def _require_user(session: AsyncSession, user_id: str) -> None:
    if await session.get(User, user_id) is None:
        raise MembershipError(f"There is no user {user_id}.", param="user_id", code="unknown_user")


async def _require_other_owner(session: AsyncSession, org_id: str) -> None:
    query = select(func.count()).where(
        OrgMembership.org_id == org_id, OrgMembership.role == OrgRole.ORG_OWNER
    )
    if (await session.exec(query)).one() <= 1:
        raise MembershipError(
            "An organization keeps at least one org_owner: make someone else owner first.",
            param="user_id",
            code="last_owner",
        )


async def _org_membership(session: AsyncSession, org_id: str, user_id: str) -> OrgMembership | None:
    query = select(OrgMembership).where(
        OrgMembership.org_id == org_id, OrgMembership.user_id == user_id
    )
    return (await session.exec(query)).first()


async def _team_membership(
    session: AsyncSession, team_id: str, user_id: str
) -> TeamMembership | None:
    query = select(TeamMembership).where(
        TeamMembership.team_id == team_id, TeamMembership.user_id == user_id
    )
    return (await session.exec(query)).first()


async def _users(session: AsyncSession, ids: Sequence[str]) -> dict[str, User]:
    if not ids:
        return {}
    rows = (await session.exec(select(User).where(col(User.id).in_(ids)))).all()
    return {row.id: row for row in rows}


def _kind(model: type[OrgMembership] | type[TeamMembership]) -> str:
    return str(model.__tablename__).removesuffix("s")


async def _upsert(
    session: AsyncSession,
    principal: Principal,
    model: type[M],
    current: M | None,
    scope_id: str,
    user_id: str,
    role: Any,
    *,
    org_id: str,
) -> M:
    """Create the membership or change its role, and audit it, in the caller's transaction."""
    before = snapshot(current) if current is not None else None
    if current is None:
        scope = "org_id" if model is OrgMembership else "team_id"
        membership = model.model_validate({scope: scope_id, "user_id": user_id, "role": role})
        session.add(membership)
    else:
        membership = current
        membership.role = role
    await session.flush()
    kind = _kind(model)
    after = snapshot(membership)
    record(
        session,
        principal.actor(),
        f"{kind}.set",
        kind,
        membership.id,
        org_id=org_id,
        before=before,
        after=after,
    )
    return membership


async def _remove(
    session: AsyncSession,
    principal: Principal,
    membership: OrgMembership | TeamMembership,
    org_id: str,
) -> None:
    kind = _kind(type(membership))
    before = snapshot(membership)
    await session.delete(membership)
    await session.flush()
    record(
        session,
        principal.actor(),
        f"{kind}.remove",
        kind,
        membership.id,
        org_id=org_id,
        before=before,
    )
