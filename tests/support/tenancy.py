"""Creating orgs, teams, users and end users directly in a gateway's database."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.results import SESSION_COOKIE
from app.orgs.models import Organization, Team
from app.runtime import Runtime
from app.users.models import EndUser, OrgMembership, OrgRole, TeamMembership, TeamRole, User

__all__ = [
    "make_end_user",
    "make_member",
    "make_org",
    "make_team",
    "make_team_member",
    "make_user",
    "session_headers",
]

Sessions = async_sessionmaker[AsyncSession]


async def _add(sessions: Sessions, row: Any) -> Any:
    async with sessions() as session, session.begin():
        session.add(row)
    return row


async def make_org(sessions: Sessions, **fields: Any) -> Organization:
    name = f"org-{uuid.uuid4().hex[:8]}"
    fields.setdefault("name", name)
    fields.setdefault("slug", fields["name"].lower())
    org: Organization = await _add(sessions, Organization(**fields))
    return org


async def make_team(sessions: Sessions, org: Organization, **fields: Any) -> Team:
    team: Team = await _add(
        sessions, Team(org_id=org.id, name=f"team-{uuid.uuid4().hex[:8]}", **fields)
    )
    return team


async def make_user(sessions: Sessions, **fields: Any) -> User:
    fields.setdefault("email", f"u{uuid.uuid4().hex[:8]}@example.com")
    user: User = await _add(sessions, User(**fields))
    return user


async def make_end_user(
    sessions: Sessions, external_id: str, max_budget: Decimal | None = None, **fields: Any
) -> EndUser:
    row: EndUser = await _add(
        sessions, EndUser(external_id=external_id, max_budget=max_budget, **fields)
    )
    return row


async def make_member(sessions: Sessions, org_id: str, user_id: str, role: OrgRole) -> None:
    await _add(sessions, OrgMembership(org_id=org_id, user_id=user_id, role=role))


async def make_team_member(sessions: Sessions, team_id: str, user_id: str, role: TeamRole) -> None:
    await _add(sessions, TeamMembership(team_id=team_id, user_id=user_id, role=role))


async def session_headers(runtime: Runtime, user: User) -> dict[str, str]:
    """Headers that call POST /graphql as ``user`` through a real session cookie."""
    opened = await runtime.identity.open_session(user.id)
    assert opened.token is not None
    return {"Cookie": f"{SESSION_COOKIE}={opened.token}", "x-deltallm-csrf": "1"}
