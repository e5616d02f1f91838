"""Guardrails and cache controls assigned to keys and teams through POST /graphql.

Only those who manage a key's team set its guardrails and cache controls (a developer
cannot lift what an admin put on their key), only org owners and admins set a team's, and
the hot path's key snapshot carries the key's names then the team's, refreshed on change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.users.models import OrgRole, TeamRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in
from tests.support.tenancy import make_org, make_team

CREATE = """mutation($i: CreateKeyInput!) { createKey(input: $i) { secret
    key { id guardrails allowRequestGuardrails allowedCacheControls } errors { field code } } }"""
UPDATE = """mutation($k: ID!, $i: UpdateKeyInput!) { updateKey(keyId: $k, input: $i)
    { key { guardrails allowRequestGuardrails allowedCacheControls } errors { field code } } }"""
TEAM_GUARDRAILS = """mutation($t: ID!, $g: [String!]!) { setTeamGuardrails(teamId: $t,
    guardrails: $g) { team { guardrails } errors { field code } } }"""


@dataclass
class World:
    team_id: str
    headers: dict[str, dict[str, str]]


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({}) as gw:
        yield gw


@pytest.fixture
async def world(gateway: RunningGateway) -> World:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions)
    team = await make_team(sessions, org)
    roles: dict[str, tuple[OrgRole, TeamRole | None]] = {
        "org_admin": (OrgRole.ORG_ADMIN, None),
        "team_admin": (OrgRole.ORG_MEMBER, TeamRole.TEAM_ADMIN),
        "developer": (OrgRole.ORG_MEMBER, TeamRole.TEAM_DEVELOPER),
    }
    headers = {}
    for name, (org_role, team_role) in roles.items():
        teams = {team.id: team_role} if team_role else {}
        _, headers[name] = await signed_in(gateway, orgs={org.id: org_role}, teams=teams)
    return World(team.id, headers)


async def create(gw: RunningGateway, who: dict[str, str], **input_: Any) -> dict[str, Any]:
    body = await gql(gw, CREATE, {"i": input_}, headers=who)
    return body


async def test_team_admins_set_a_keys_policy_and_the_snapshot_carries_it(
    gateway: RunningGateway, world: World
) -> None:
    admin = world.headers["team_admin"]
    body = await create(
        gateway,
        admin,
        teamId=world.team_id,
        guardrails=["pii-mask", "injection"],
        allowRequestGuardrails=True,
        allowedCacheControls=["no-cache", "ttl"],
    )
    payload = body["data"]["createKey"]
    assert payload["errors"] == []
    assert payload["key"]["guardrails"] == ["pii-mask", "injection"]
    assert payload["key"]["allowRequestGuardrails"] is True
    assert payload["key"]["allowedCacheControls"] == ["no-cache", "ttl"]
    caller = await gateway.runtime.gateway.authenticator.authenticate(payload["secret"])
    assert caller.identity is not None
    assert caller.identity.guardrails == ("pii-mask", "injection")
    assert caller.identity.allow_request_guardrails is True
    assert caller.identity.allowed_cache_controls == frozenset({"no-cache", "ttl"})

    # The team's guardrails follow the key's own, each once; the snapshot is refreshed.
    set_team = await gql(
        gateway,
        TEAM_GUARDRAILS,
        {"t": world.team_id, "g": ["injection", "keywords"]},
        headers=world.headers["org_admin"],
    )
    assert set_team["data"]["setTeamGuardrails"] == {
        "team": {"guardrails": ["injection", "keywords"]},
        "errors": [],
    }
    caller = await gateway.runtime.gateway.authenticator.authenticate(payload["secret"])
    assert caller.identity is not None
    assert caller.identity.guardrails == ("pii-mask", "injection", "keywords")

    cleared = await gql(
        gateway,
        UPDATE,
        {"k": payload["key"]["id"], "i": {"guardrails": None, "allowRequestGuardrails": None}},
        headers=admin,
    )
    assert cleared["data"]["updateKey"]["key"] == {
        "guardrails": [],
        "allowRequestGuardrails": False,
        "allowedCacheControls": ["no-cache", "ttl"],
    }


async def test_developers_cannot_set_or_lift_their_keys_policy(
    gateway: RunningGateway, world: World
) -> None:
    developer = world.headers["developer"]
    refused = await create(gateway, developer, teamId=world.team_id, guardrails=["pii-mask"])
    assert codes(refused) == ["FORBIDDEN"]
    refused = await create(gateway, developer, teamId=world.team_id, allowedCacheControls=["ttl"])
    assert codes(refused) == ["FORBIDDEN"]
    own = await create(gateway, developer, teamId=world.team_id)
    key_id = own["data"]["createKey"]["key"]["id"]
    await gql(
        gateway,
        UPDATE,
        {"k": key_id, "i": {"guardrails": ["pii-mask"]}},
        headers=world.headers["team_admin"],
    )
    lifted = await gql(gateway, UPDATE, {"k": key_id, "i": {"guardrails": []}}, headers=developer)
    assert codes(lifted) == ["FORBIDDEN"]
    caller = await gateway.runtime.gateway.authenticator.authenticate(
        own["data"]["createKey"]["secret"]
    )
    assert caller.identity is not None and caller.identity.guardrails == ("pii-mask",)


async def test_team_guardrails_are_set_by_org_admins_only(
    gateway: RunningGateway, world: World
) -> None:
    variables = {"t": world.team_id, "g": ["pii-mask"]}
    for who in ("team_admin", "developer"):
        refused = await gql(gateway, TEAM_GUARDRAILS, variables, headers=world.headers[who])
        assert codes(refused) == ["FORBIDDEN"], who
    by_master = await gql(gateway, TEAM_GUARDRAILS, variables)
    assert by_master["data"]["setTeamGuardrails"]["team"] == {"guardrails": ["pii-mask"]}


async def test_malformed_names_and_unknown_cache_controls_are_payload_errors(
    gateway: RunningGateway, world: World
) -> None:
    admin = world.headers["team_admin"]
    bad_name = await create(gateway, admin, teamId=world.team_id, guardrails=["no spaces"])
    assert bad_name["data"]["createKey"]["errors"] == [{"field": "guardrails", "code": "invalid"}]
    bad_control = await create(
        gateway, admin, teamId=world.team_id, allowedCacheControls=["max-stale"]
    )
    assert bad_control["data"]["createKey"]["errors"] == [
        {"field": "allowedCacheControls", "code": "invalid"}
    ]
    bad_team = await gql(gateway, TEAM_GUARDRAILS, {"t": world.team_id, "g": ["x" * 65]})
    assert bad_team["data"]["setTeamGuardrails"]["errors"] == [
        {"field": "guardrails", "code": "invalid"}
    ]
