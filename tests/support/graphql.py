"""Calling the admin API over real HTTP: POST /graphql as the master key, a bearer token
or a signed-in user's session."""

from __future__ import annotations

from typing import Any

import httpx

from app.users.models import OrgRole, PlatformRole, TeamRole
from tests.support.gateway import RunningGateway
from tests.support.tenancy import make_member, make_team_member, make_user, session_headers

__all__ = ["CREATE_ORG", "CREATE_TEAM", "codes", "gql", "new_org", "new_team", "signed_in"]


async def gql(
    gw: RunningGateway,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = "master",
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST /graphql with the master key, another bearer ``token``, or session ``headers``."""
    if headers is None:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {gw.master_key if token == 'master' else token}"
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{gw.root}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def signed_in(
    gw: RunningGateway,
    *,
    platform_role: PlatformRole = PlatformRole.ORG_USER,
    orgs: dict[str, OrgRole] | None = None,
    teams: dict[str, TeamRole] | None = None,
    **fields: Any,
) -> tuple[str, dict[str, str]]:
    """A new user with these roles, signed in: (user id, headers for :func:`gql`)."""
    sessions = gw.runtime.sessions
    user = await make_user(sessions, platform_role=platform_role, **fields)
    for org_id, role in (orgs or {}).items():
        await make_member(sessions, org_id, user.id, role)
    for team_id, team_role in (teams or {}).items():
        await make_team_member(sessions, team_id, user.id, team_role)
    return user.id, await session_headers(gw.runtime, user)


CREATE_ORG = """mutation($name: String!) { createOrganization(name: $name,
  limits: {maxBudget: "10.5", rpmLimit: 60}) { organization { id name slug maxBudget rpmLimit }
  errors { field code } } }"""
CREATE_TEAM = """mutation($o: ID!, $n: String! = "t") { createTeam(input: {orgId: $o, name: $n})
  { team { id } errors { field code } } }"""


async def new_org(gw: RunningGateway, name: str = "Acme") -> str:
    body = await gql(gw, CREATE_ORG, {"name": name})
    org_id: str = body["data"]["createOrganization"]["organization"]["id"]
    return org_id


async def new_team(gw: RunningGateway, org_id: str, name: str = "t") -> str:
    body = await gql(gw, CREATE_TEAM, {"o": org_id, "n": name})
    team_id: str = body["data"]["createTeam"]["team"]["id"]
    return team_id
