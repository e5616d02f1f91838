"""The admin API over real HTTP (POST /graphql), and its rules for signed-in users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import openai
import pytest
from sqlmodel import col, select

from app.audit.models import ActorType, AuditLog
from app.users.models import OrgRole, PlatformRole, TeamRole
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import CREATE_ORG, CREATE_TEAM, codes, gql, new_org, new_team, signed_in
from tests.support.tenancy import make_member, make_user


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


async def test_unauthenticated_callers_get_a_code(gateway: RunningGateway) -> None:
    body = await gql(gateway, "{ me { kind } }", token=None)
    assert codes(body) == ["UNAUTHENTICATED"]
    body = await gql(gateway, "{ me { kind } }", token="sk-wrong")
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_master_key_is_a_platform_admin(gateway: RunningGateway) -> None:
    body = await gql(gateway, "{ me { kind platformRole } }")
    assert body["data"]["me"] == {"kind": "master_key", "platformRole": "PLATFORM_ADMIN"}


async def test_organizations_and_teams_with_pagination(gateway: RunningGateway) -> None:
    ids = []
    for name in ("Acme", "Globex", "Initech"):
        body = await gql(gateway, CREATE_ORG, {"name": name})
        assert body["data"]["createOrganization"]["errors"] == []
        org = body["data"]["createOrganization"]["organization"]
        assert org["maxBudget"] == "10.5" and org["rpmLimit"] == 60
        ids.append(org["id"])
    duplicate = await gql(gateway, CREATE_ORG, {"name": "Acme"})
    assert duplicate["data"]["createOrganization"] == {
        "organization": None,
        "errors": [{"field": "name", "code": "conflict"}],
    }
    query = """query($after: String) { organizations(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }"""
    first = (await gql(gateway, query))["data"]["organizations"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    # Money reads back as it was written, whatever scale the database keeps.
    stored = await gql(
        gateway, "query($i: ID!) { organization(id: $i) { maxBudget } }", {"i": ids[0]}
    )
    assert stored["data"]["organization"] == {"maxBudget": "10.5"}
    assert [e["node"]["name"] for e in first["edges"]] == ["Acme", "Globex"]
    second = await gql(gateway, query, {"after": first["pageInfo"]["endCursor"]})
    assert [e["node"]["name"] for e in second["data"]["organizations"]["edges"]] == ["Initech"]
    team = await gql(
        gateway,
        """mutation($org: ID!) { createTeam(input: {orgId: $org,
        name: "search", limits: {tpmLimit: 1000}}) { team { id orgId name tpmLimit } } }""",
        {"org": ids[0]},
    )
    assert team["data"]["createTeam"]["team"]["orgId"] == ids[0]
    assert team["data"]["createTeam"]["team"]["tpmLimit"] == 1000
    teams = await gql(gateway, "query($o: ID!) { teams(orgId: $o) { totalCount } }", {"o": ids[0]})
    assert teams["data"]["teams"]["totalCount"] == 1


async def test_keys_created_over_graphql_work_on_v1_and_are_audited(
    gateway: RunningGateway,
) -> None:
    created = await gql(
        gateway,
        """mutation { createKey(input: {alias: "ci", models: ["gpt-a"],
        rpmLimit: 5}) { secret errors { code } key { id keyDisplay rpmLimit revoked } } }""",
    )
    payload = created["data"]["createKey"]
    assert payload["errors"] == [] and payload["secret"].startswith("sk-")
    key_id, secret = payload["key"]["id"], payload["secret"]
    assert payload["key"]["keyDisplay"].endswith(secret[-4:])
    async with gateway.client(secret) as client:
        reply = await client.chat.completions.create(
            model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
        )
        assert reply.choices[0].message.content == "Hello there!"
        listed = await gql(gateway, "{ keys { totalCount edges { node { id alias } } } }")
        assert listed["data"]["keys"]["totalCount"] == 1
        assert secret not in str(listed)
        revoked = await gql(
            gateway, "mutation($k: ID!) { revokeKey(keyId: $k) { revoked } }", {"k": key_id}
        )
        assert revoked["data"]["revokeKey"]["revoked"] is True
        with pytest.raises(openai.AuthenticationError):
            await client.chat.completions.create(
                model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
            )
    async with gateway.runtime.sessions() as session:
        rows = (await session.exec(select(AuditLog).order_by(AuditLog.created_at))).all()
    assert [r.action for r in rows] == ["key.create", "key.revoke"]
    assert all(r.actor_type is ActorType.MASTER_KEY for r in rows)
    assert "key_hash" not in str([r.after for r in rows])


async def test_bad_input_is_a_user_error(gateway: RunningGateway) -> None:
    body = await gql(
        gateway,
        """mutation { createKey(input: {budgetDuration: "fortnight"})
        { key { id } errors { field code message } } }""",
    )
    [error] = body["data"]["createKey"]["errors"]
    assert error["field"] == "budgetDuration"
    body = await gql(gateway, "{ organizations(first: 1000) { totalCount } }")
    assert codes(body) == ["BAD_USER_INPUT"]
    body = await gql(gateway, "{ nope }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


def _nested(depth: int) -> str:
    """A query whose deepest field is at ``depth`` (the top field is at 0; only the first
    four levels exist in the schema, which nests no deeper)."""
    fields = depth + 1
    names = ["organizations", "edges", "node", "teams"] + [f"f{i}" for i in range(fields - 4)]
    return "{ " + " { ".join(names) + " }" * fields


async def test_query_depth_and_aliases_are_limited(gateway: RunningGateway) -> None:
    def depth_errors(body: dict[str, Any]) -> list[str]:
        return [e["message"] for e in body["errors"] if "maximum operation depth" in e["message"]]

    too_deep = await gql(gateway, _nested(11))
    assert depth_errors(too_deep) == ["'anonymous' exceeds maximum operation depth of 10"]
    assert codes(too_deep) and set(codes(too_deep)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert depth_errors(await gql(gateway, _nested(10))) == []  # wrong fields, right depth

    many = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    body = await gql(gateway, many)
    assert [e["message"] for e in body["errors"]] == [
        "The document has 31 aliases; at most 30 are allowed."
    ]
    assert [e["extensions"]["reason"] for e in body["errors"]] == ["too_many_aliases"]
    assert (await gql(gateway, many.replace("a30: __typename", "")))["data"]["a0"] == "Query"


# --- the rules, for signed-in users of each kind -----------------------------


async def test_scope_isolates_organizations(gateway: RunningGateway) -> None:
    acme, globex = await new_org(gateway, "Acme"), await new_org(gateway, "Globex")
    _, alice = await signed_in(gateway, orgs={acme: OrgRole.ORG_ADMIN})

    listed = await gql(gateway, "{ organizations { edges { node { name } } } }", headers=alice)
    assert [e["node"]["name"] for e in listed["data"]["organizations"]["edges"]] == ["Acme"]
    other = await gql(
        gateway, "query($i: ID!) { organization(id: $i) { name } }", {"i": globex}, headers=alice
    )
    assert codes(other) == ["FORBIDDEN"]
    refused = await gql(gateway, CREATE_TEAM, {"o": globex}, headers=alice)
    assert codes(refused) == ["FORBIDDEN"]
    own = await gql(gateway, CREATE_TEAM, {"o": acme}, headers=alice)
    assert own["data"]["createTeam"]["errors"] == [] and "errors" not in own


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (OrgRole.ORG_OWNER, True),
        (OrgRole.ORG_ADMIN, True),
        (OrgRole.ORG_BILLING, False),
        (OrgRole.ORG_AUDITOR, False),
        (OrgRole.ORG_MEMBER, False),
    ],
)
async def test_org_roles_that_may_create_teams(
    gateway: RunningGateway, role: OrgRole, allowed: bool
) -> None:
    org_id = await new_org(gateway)
    _, caller = await signed_in(gateway, orgs={org_id: role})
    result = await gql(gateway, CREATE_TEAM, {"o": org_id}, headers=caller)
    assert codes(result) == ([] if allowed else ["FORBIDDEN"])
    readable = await gql(
        gateway, "query($o: ID!) { teams(orgId: $o) { totalCount } }", {"o": org_id}, headers=caller
    )
    assert readable["data"]["teams"]["totalCount"] == (1 if allowed else 0)  # every member reads


async def test_nobody_grants_more_than_they_hold(gateway: RunningGateway) -> None:
    org_id, shared = await new_org(gateway), await new_org(gateway, "Shared")
    user = await make_user(gateway.runtime.sessions)
    # Org admins add people who already share one of their organizations.
    await make_member(gateway.runtime.sessions, shared, user.id, OrgRole.ORG_MEMBER)
    grant = """mutation($o: ID!, $u: ID!, $r: OrgRole!) {
        setOrgMember(orgId: $o, userId: $u, role: $r) { membership { role } errors { code } } }"""
    _, org_admin = await signed_in(
        gateway, orgs={org_id: OrgRole.ORG_ADMIN, shared: OrgRole.ORG_MEMBER}
    )
    owner = await gql(
        gateway, grant, {"o": org_id, "u": user.id, "r": "ORG_OWNER"}, headers=org_admin
    )
    assert codes(owner) == ["FORBIDDEN"]
    granted = await gql(
        gateway, grant, {"o": org_id, "u": user.id, "r": "ORG_MEMBER"}, headers=org_admin
    )
    assert granted["data"]["setOrgMember"] == {"membership": {"role": "ORG_MEMBER"}, "errors": []}


async def test_only_platform_admins_create_organizations(gateway: RunningGateway) -> None:
    for role, allowed in [
        (PlatformRole.PLATFORM_ADMIN, True),
        (PlatformRole.PLATFORM_CO_ADMIN, True),
        (PlatformRole.ORG_USER, False),
    ]:
        _, caller = await signed_in(gateway, platform_role=role)
        result = await gql(gateway, CREATE_ORG, {"name": f"O-{role.value}"}, headers=caller)
        assert codes(result) == ([] if allowed else ["FORBIDDEN"]), role
        if allowed:
            assert result["data"]["createOrganization"]["organization"]["name"] == f"O-{role.value}"


async def test_forced_password_change_blocks_everything_else(gateway: RunningGateway) -> None:
    _, caller = await signed_in(
        gateway, platform_role=PlatformRole.PLATFORM_ADMIN, must_change_password=True
    )
    result = await gql(gateway, "{ organizations { totalCount } }", headers=caller)
    assert codes(result) == ["PASSWORD_CHANGE_REQUIRED"]
    me = await gql(gateway, "{ me { mustChangePassword } }", headers=caller)
    assert me["data"]["me"]["mustChangePassword"] is True


async def test_update_key_limits_take_effect_at_once(gateway: RunningGateway) -> None:
    created = await gql(gateway, "mutation { createKey(input: {}) { secret key { id } } }")
    key_id = created["data"]["createKey"]["key"]["id"]
    secret = created["data"]["createKey"]["secret"]
    update = """mutation($k: ID!, $i: UpdateKeyInput!) { updateKey(keyId: $k, input: $i) {
        key { rpmLimit maxBudget alias } errors { code field } } }"""
    limited = await gql(gateway, update, {"k": key_id, "i": {"rpmLimit": 1, "alias": "x"}})
    assert limited["data"]["updateKey"]["key"] == {"rpmLimit": 1, "maxBudget": None, "alias": "x"}
    async with gateway.client(secret) as client:
        await client.chat.completions.create(
            model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
        )
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(
                model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
            )
        lifted = await gql(gateway, update, {"k": key_id, "i": {"rpmLimit": None}})
        assert lifted["data"]["updateKey"]["key"]["rpmLimit"] is None
        assert lifted["data"]["updateKey"]["key"]["alias"] == "x"  # unsent fields unchanged
        await client.chat.completions.create(
            model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
        )
    bad = await gql(gateway, update, {"k": key_id, "i": {"budgetDuration": "someday"}})
    assert bad["data"]["updateKey"]["errors"][0]["field"] == "budgetDuration"


async def test_team_membership_needs_org_membership(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)
    team_id = await new_team(gateway, org_id)
    user = await make_user(gateway.runtime.sessions)
    set_team = """mutation($t: ID!, $u: ID!) { setTeamMember(teamId: $t, userId: $u,
        role: TEAM_DEVELOPER) { membership { role } errors { field code } } }"""
    outsider = await gql(gateway, set_team, {"t": team_id, "u": user.id})
    assert outsider["data"]["setTeamMember"] == {
        "membership": None,
        "errors": [{"field": "userId", "code": "not_a_member"}],
    }
    await gql(
        gateway,
        """mutation($o: ID!, $u: ID!) { setOrgMember(orgId: $o,
        userId: $u, role: ORG_MEMBER) { errors { code } } }""",
        {"o": org_id, "u": user.id},
    )
    added = await gql(gateway, set_team, {"t": team_id, "u": user.id})
    assert added["data"]["setTeamMember"]["membership"] == {"role": "TEAM_DEVELOPER"}
    _, stranger = await signed_in(gateway)
    refused = await gql(gateway, set_team, {"t": team_id, "u": user.id}, headers=stranger)
    assert codes(refused) == ["FORBIDDEN"]


BLOCK_TEAM = """mutation($t: ID!, $b: Boolean!) { setTeamBlocked(teamId: $t, blocked: $b)
  { id blocked } }"""
BLOCK_ORG = """mutation($o: ID!, $b: Boolean!) { setOrganizationBlocked(id: $o, blocked: $b)
  { id blocked } }"""


async def test_blocking_a_team_or_organization_refuses_its_keys(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)
    team_id = await new_team(gateway, org_id)
    created = await gql(
        gateway,
        "mutation($t: ID!) { createKey(input: {teamId: $t}) { secret errors { code } } }",
        {"t": team_id},
    )
    secret = created["data"]["createKey"]["secret"]
    _, org_admin = await signed_in(gateway, orgs={org_id: OrgRole.ORG_ADMIN})
    _, member = await signed_in(gateway, orgs={org_id: OrgRole.ORG_MEMBER})
    hi = [{"role": "user", "content": "Hi"}]

    async with gateway.client(secret) as client:
        assert (await client.chat.completions.create(model="gpt-a", messages=hi)).choices
        refused = await gql(gateway, BLOCK_TEAM, {"t": team_id, "b": True}, headers=member)
        assert codes(refused) == ["FORBIDDEN"]
        blocked = await gql(gateway, BLOCK_TEAM, {"t": team_id, "b": True}, headers=org_admin)
        assert blocked["data"]["setTeamBlocked"] == {"id": team_id, "blocked": True}
        with pytest.raises(openai.PermissionDeniedError) as caught:
            await client.chat.completions.create(model="gpt-a", messages=hi)
        assert caught.value.code == "key_blocked"
        assert "team is blocked" in caught.value.message
        await gql(gateway, BLOCK_TEAM, {"t": team_id, "b": False}, headers=org_admin)
        assert (await client.chat.completions.create(model="gpt-a", messages=hi)).choices

        # Organizations are blocked by platform admins only.
        refused = await gql(gateway, BLOCK_ORG, {"o": org_id, "b": True}, headers=org_admin)
        assert codes(refused) == ["FORBIDDEN"]
        blocked = await gql(gateway, BLOCK_ORG, {"o": org_id, "b": True})
        assert blocked["data"]["setOrganizationBlocked"] == {"id": org_id, "blocked": True}
        with pytest.raises(openai.PermissionDeniedError) as caught:
            await client.chat.completions.create(model="gpt-a", messages=hi)
        assert "organization is blocked" in caught.value.message
        await gql(gateway, BLOCK_ORG, {"o": org_id, "b": False})
        assert (await client.chat.completions.create(model="gpt-a", messages=hi)).choices

    async with gateway.runtime.sessions() as session:
        query = select(AuditLog.action).where(col(AuditLog.action).contains("block"))
        actions = (await session.exec(query.order_by(col(AuditLog.created_at)))).all()
    assert actions == ["team.block", "team.unblock", "organization.block", "organization.unblock"]


async def test_me_names_the_callers_roles(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)
    team_id = await new_team(gateway, org_id)
    user_id, headers = await signed_in(
        gateway, orgs={org_id: OrgRole.ORG_BILLING}, teams={team_id: TeamRole.TEAM_DEVELOPER}
    )
    body = await gql(
        gateway,
        "{ me { id kind orgIds orgRoles { orgId role } teamRoles { teamId role } } }",
        headers=headers,
    )
    assert body["data"]["me"] == {
        "id": user_id,
        "kind": "user",
        "orgIds": [org_id],
        "orgRoles": [{"orgId": org_id, "role": "ORG_BILLING"}],
        "teamRoles": [{"teamId": team_id, "role": "TEAM_DEVELOPER"}],
    }
    master = await gql(gateway, "{ me { orgRoles { orgId } teamRoles { teamId } } }")
    assert master["data"]["me"] == {"orgRoles": [], "teamRoles": []}


async def test_lists_filter_for_admin_screens(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    await make_user(sessions, email="ada@example.com", display_name="Ada Lovelace")
    await make_user(sessions, email="bob@example.com", blocked=True)
    await make_user(
        sessions, email="cy_1@example.com", platform_role=PlatformRole.PLATFORM_CO_ADMIN
    )
    users = """query($s: String, $r: PlatformRole, $b: Boolean) {
        users(search: $s, role: $r, blocked: $b) { edges { node { email } } } }"""

    async def emails(**variables: Any) -> list[str]:
        body = await gql(gateway, users, variables)
        return [e["node"]["email"] for e in body["data"]["users"]["edges"]]

    assert await emails(s="LOVELACE") == ["ada@example.com"]
    assert await emails(s="bob") == ["bob@example.com"]
    assert await emails(s="y_1") == ["cy_1@example.com"]
    assert await emails(s="_") == ["cy_1@example.com"]  # a wildcard character is literal
    assert await emails(r="PLATFORM_CO_ADMIN") == ["cy_1@example.com"]
    assert await emails(b=True) == ["bob@example.com"]

    org_id = await new_org(gateway)
    team_id = await new_team(gateway, org_id)
    owner = await make_user(sessions)
    await make_member(sessions, org_id, owner.id, OrgRole.ORG_MEMBER)
    for alias, user_id in (("checkout-prod", owner.id), ("checkout-dev", None), ("search", None)):
        created = await gql(
            gateway,
            """mutation($a: String!, $t: ID!, $u: ID) { createKey(input: {alias: $a,
            teamId: $t, userId: $u}) { errors { code } } }""",
            {"a": alias, "t": team_id, "u": user_id},
        )
        assert created["data"]["createKey"]["errors"] == []
    keys = """query($s: String, $u: ID) { keys(search: $s, userId: $u)
        { edges { node { alias } } } }"""
    found = await gql(gateway, keys, {"s": "CHECKOUT"})
    assert [e["node"]["alias"] for e in found["data"]["keys"]["edges"]] == [
        "checkout-prod",
        "checkout-dev",
    ]
    mine = await gql(gateway, keys, {"u": owner.id})
    assert [e["node"]["alias"] for e in mine["data"]["keys"]["edges"]] == ["checkout-prod"]

    audit = """query($a: String, $actor: String, $start: DateTime, $end: DateTime) {
        auditLog(action: $a, actorId: $actor, start: $start, end: $end)
        { totalCount edges { node { action } } } }"""
    body = await gql(gateway, audit, {"a": "key."})
    assert [e["node"]["action"] for e in body["data"]["auditLog"]["edges"]] == ["key.create"] * 3
    body = await gql(gateway, audit, {"a": "team.create", "actor": "master"})
    assert body["data"]["auditLog"]["totalCount"] == 1
    body = await gql(gateway, audit, {"a": "key", "actor": "someone-else"})
    assert body["data"]["auditLog"]["totalCount"] == 0
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    body = await gql(gateway, audit, {"start": later})
    assert body["data"]["auditLog"]["totalCount"] == 0
    body = await gql(gateway, audit, {"end": later})
    assert body["data"]["auditLog"]["totalCount"] == 5  # org, team, three keys
