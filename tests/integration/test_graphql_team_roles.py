"""Team roles over POST /graphql: what team_admin, team_developer and team_viewer may do.

team_admin: every key of the team (create, update, block, revoke, regenerate), its members,
its name. team_developer: creates keys for themselves and changes only their own.
team_viewer, and org members without a team role: read the team and its keys, change none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from app.keys.spec import KeySpec
from app.users.models import OrgRole, TeamRole
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in
from tests.support.tenancy import make_org, make_team


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "api_base": fake_openai.base_url},
            }
        ]
    }
    async with running_gateway(config) as gw:
        yield gw


CREATE = """mutation($i: CreateKeyInput!) { createKey(input: $i)
    { secret key { id userId teamId } errors { field code } } }"""
UPDATE = """mutation($k: ID!) { updateKey(keyId: $k, input: {alias: "renamed"})
    { key { alias } errors { code } } }"""
BLOCK = "mutation($k: ID!) { setKeyBlocked(keyId: $k, blocked: true) { blocked } }"
REVOKE = "mutation($k: ID!) { revokeKey(keyId: $k) { revoked } }"
REGENERATE = """mutation($k: ID!) { regenerateKey(keyId: $k) { secret errors { code } } }"""
TEAM = "query($t: ID!) { team(teamId: $t) { name spend } }"
KEYS = "query($t: ID) { keys(teamId: $t) { totalCount edges { node { id keyDisplay } } } }"


@dataclass
class World:
    org_id: str
    team_id: str
    other_team_id: str
    users: dict[str, str]
    headers: dict[str, dict[str, str]]


@pytest.fixture
async def world(gateway: RunningGateway) -> World:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions)
    team, other = await make_team(sessions, org), await make_team(sessions, org)
    roles: dict[str, tuple[OrgRole, TeamRole | None]] = {
        "team_admin": (OrgRole.ORG_MEMBER, TeamRole.TEAM_ADMIN),
        "developer": (OrgRole.ORG_MEMBER, TeamRole.TEAM_DEVELOPER),
        "other_developer": (OrgRole.ORG_MEMBER, TeamRole.TEAM_DEVELOPER),
        "viewer": (OrgRole.ORG_MEMBER, TeamRole.TEAM_VIEWER),
        "org_member": (OrgRole.ORG_MEMBER, None),
        "org_billing": (OrgRole.ORG_BILLING, None),
    }
    users, headers = {}, {}
    for name, (org_role, team_role) in roles.items():
        teams = {team.id: team_role} if team_role else {}
        users[name], headers[name] = await signed_in(gateway, orgs={org.id: org_role}, teams=teams)
    return World(org.id, team.id, other.id, users, headers)


async def create(gw: RunningGateway, who: dict[str, str] | None, **input_: Any) -> Any:
    body = await gql(gw, CREATE, {"i": input_}, headers=who)
    return body


async def key_in(gw: RunningGateway, team_id: str, user_id: str | None = None) -> str:
    created = await gw.runtime.keys.create(KeySpec(team_id=team_id, user_id=user_id))
    return created.key.id


async def test_team_admins_manage_every_key_of_their_team(
    gateway: RunningGateway, world: World
) -> None:
    admin = world.headers["team_admin"]
    body = await create(gateway, admin, teamId=world.team_id, userId=world.users["developer"])
    payload = body["data"]["createKey"]
    assert payload["errors"] == [] and payload["key"]["userId"] == world.users["developer"]
    team_key = await create(gateway, admin, teamId=world.team_id)
    assert team_key["data"]["createKey"]["key"]["userId"] is None  # a key of the team
    key_id = payload["key"]["id"]
    updated = await gql(gateway, UPDATE, {"k": key_id}, headers=admin)
    assert updated["data"]["updateKey"]["key"] == {"alias": "renamed"}
    regenerated = await gql(gateway, REGENERATE, {"k": key_id}, headers=admin)
    assert regenerated["data"]["regenerateKey"]["secret"].startswith("sk-")
    blocked = await gql(gateway, BLOCK, {"k": key_id}, headers=admin)
    assert blocked["data"]["setKeyBlocked"] == {"blocked": True}
    revoked = await gql(gateway, REVOKE, {"k": key_id}, headers=admin)
    assert revoked["data"]["revokeKey"] == {"revoked": True}

    elsewhere = await key_in(gateway, world.other_team_id)
    assert codes(await create(gateway, admin, teamId=world.other_team_id)) == ["FORBIDDEN"]
    for operation in (UPDATE, BLOCK, REVOKE, REGENERATE):
        refused = await gql(gateway, operation, {"k": elsewhere}, headers=admin)
        assert codes(refused) == ["FORBIDDEN"], operation


async def test_team_developers_manage_only_their_own_keys(
    gateway: RunningGateway, world: World
) -> None:
    developer, me = world.headers["developer"], world.users["developer"]
    body = await create(gateway, developer, teamId=world.team_id, alias="mine")
    payload = body["data"]["createKey"]
    assert payload["errors"] == []
    assert payload["key"]["userId"] == me  # for themselves, unasked
    own = payload["key"]["id"]
    async with gateway.client(payload["secret"]) as client:
        reply = await client.chat.completions.create(
            model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
        )
    assert reply.choices[0].message.content == "Hello there!"

    for_someone_else = await create(
        gateway, developer, teamId=world.team_id, userId=world.users["other_developer"]
    )
    assert codes(for_someone_else) == ["FORBIDDEN"]
    assert codes(await create(gateway, developer, teamId=world.other_team_id)) == ["FORBIDDEN"]

    updated = await gql(gateway, UPDATE, {"k": own}, headers=developer)
    assert updated["data"]["updateKey"]["key"] == {"alias": "renamed"}
    regenerated = await gql(gateway, REGENERATE, {"k": own}, headers=developer)
    assert regenerated["data"]["regenerateKey"]["errors"] == []
    assert codes(await gql(gateway, BLOCK, {"k": own}, headers=developer)) == ["FORBIDDEN"]

    theirs = await key_in(gateway, world.team_id, world.users["other_developer"])
    team_key = await key_in(gateway, world.team_id)
    for key_id in (theirs, team_key):
        for operation in (UPDATE, REVOKE, REGENERATE, BLOCK):
            refused = await gql(gateway, operation, {"k": key_id}, headers=developer)
            assert codes(refused) == ["FORBIDDEN"], (key_id, operation)
    revoked = await gql(gateway, REVOKE, {"k": own}, headers=developer)
    assert revoked["data"]["revokeKey"] == {"revoked": True}


@pytest.mark.parametrize("who", ["viewer", "org_member", "org_billing"])
async def test_readers_see_the_team_and_its_keys_but_change_nothing(
    gateway: RunningGateway, world: World, who: str
) -> None:
    headers = world.headers[who]
    key_id = await key_in(gateway, world.team_id, world.users[who])  # even their own key
    team = await gql(gateway, TEAM, {"t": world.team_id}, headers=headers)
    assert Decimal(team["data"]["team"]["spend"]) == 0
    keys = await gql(gateway, KEYS, {"t": world.team_id}, headers=headers)
    [node] = [e["node"] for e in keys["data"]["keys"]["edges"]]
    assert node["id"] == key_id and "…" in node["keyDisplay"]  # a display form, no secret
    assert codes(await create(gateway, headers, teamId=world.team_id)) == ["FORBIDDEN"]
    for operation in (UPDATE, BLOCK, REVOKE, REGENERATE):
        refused = await gql(gateway, operation, {"k": key_id}, headers=headers)
        assert codes(refused) == ["FORBIDDEN"], operation


async def test_team_roles_do_not_reach_into_other_organizations(
    gateway: RunningGateway, world: World
) -> None:
    sessions = gateway.runtime.sessions
    foreign_team = await make_team(sessions, await make_org(sessions))
    foreign_key = await key_in(gateway, foreign_team.id)
    admin = world.headers["team_admin"]
    assert codes(await gql(gateway, TEAM, {"t": foreign_team.id}, headers=admin)) == ["FORBIDDEN"]
    assert codes(await create(gateway, admin, teamId=foreign_team.id)) == ["FORBIDDEN"]
    assert codes(await gql(gateway, UPDATE, {"k": foreign_key}, headers=admin)) == ["FORBIDDEN"]
    seen = await gql(gateway, KEYS, {"t": None}, headers=admin)
    assert foreign_key not in str(seen)
