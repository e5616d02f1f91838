"""The admin API over real HTTP (POST /graphql), and its rules evaluated per principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
from sqlmodel import select

from app.audit.models import ActorType, AuditLog
from app.auth.principal import Principal
from app.users.models import OrgRole, PlatformRole
from graphql_schema.context import GraphQLContext
from graphql_schema.schema import schema
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.tenancy import make_user


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


async def gql(
    gw: RunningGateway,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = "master",
) -> dict[str, Any]:
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


CREATE_ORG = """mutation($name: String!) { createOrganization(name: $name,
  limits: {maxBudget: "10.5", rpmLimit: 60}) { id name slug maxBudget rpmLimit } }"""


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
        org = body["data"]["createOrganization"]
        assert org["maxBudget"] == "10.5" and org["rpmLimit"] == 60
        ids.append(org["id"])
    duplicate = await gql(gateway, CREATE_ORG, {"name": "Acme"})
    assert codes(duplicate) == ["BAD_USER_INPUT"]
    query = """query($after: String) { organizations(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }"""
    first = (await gql(gateway, query))["data"]["organizations"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in first["edges"]] == ["Acme", "Globex"]
    second = await gql(gateway, query, {"after": first["pageInfo"]["endCursor"]})
    assert [e["node"]["name"] for e in second["data"]["organizations"]["edges"]] == ["Initech"]
    team = await gql(
        gateway,
        """mutation($org: ID!) { createTeam(input: {orgId: $org,
        name: "search", limits: {tpmLimit: 1000}}) { id orgId name tpmLimit } }""",
        {"org": ids[0]},
    )
    assert team["data"]["createTeam"]["orgId"] == ids[0]
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
    assert error["field"] == "budget_duration"
    body = await gql(gateway, "{ organizations(first: 1000) { totalCount } }")
    assert codes(body) == ["BAD_USER_INPUT"]
    body = await gql(gateway, "{ nope }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_query_depth_is_limited(gateway: RunningGateway) -> None:
    deep = "{ organizations { edges { node { " * 6 + "id" + " } } }" * 6
    body = await gql(gateway, deep)
    assert body.get("errors")


# --- the rules, evaluated for principals of each kind -----------------------


async def run_as(
    gw: RunningGateway, principal: Principal, query: str, variables: dict[str, Any] | None = None
) -> Any:
    context = GraphQLContext(runtime=gw.runtime, principal=principal, request_id="test")
    return await schema.execute(query, variable_values=variables, context_value=context)


def member(org_roles: dict[str, OrgRole], role: PlatformRole = PlatformRole.ORG_USER) -> Principal:
    return Principal(ActorType.USER, "u-1", role, org_roles=org_roles)


async def test_scope_isolates_organizations(gateway: RunningGateway) -> None:
    admin = Principal(ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN)
    acme = (await run_as(gateway, admin, CREATE_ORG, {"name": "Acme"})).data
    globex = (await run_as(gateway, admin, CREATE_ORG, {"name": "Globex"})).data
    acme_id = acme["createOrganization"]["id"]
    globex_id = globex["createOrganization"]["id"]
    alice = member({acme_id: OrgRole.ORG_ADMIN})

    listed = await run_as(gateway, alice, "{ organizations { edges { node { name } } } }")
    assert [e["node"]["name"] for e in listed.data["organizations"]["edges"]] == ["Acme"]
    other = await run_as(
        gateway, alice, "query($i: ID!) { organization(id: $i) { name } }", {"i": globex_id}
    )
    assert other.errors[0].extensions["code"] == "FORBIDDEN"
    team = await run_as(
        gateway,
        alice,
        """mutation($o: ID!) { createTeam(input: {orgId: $o,
        name: "t"}) { id } }""",
        {"o": globex_id},
    )
    assert team.errors[0].extensions["code"] == "FORBIDDEN"
    own = await run_as(
        gateway,
        alice,
        """mutation($o: ID!) { createTeam(input: {orgId: $o,
        name: "t"}) { id } }""",
        {"o": acme_id},
    )
    assert own.errors is None


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
    admin = Principal(ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN)
    org_id = (await run_as(gateway, admin, CREATE_ORG, {"name": "Acme"})).data[
        "createOrganization"
    ]["id"]
    result = await run_as(
        gateway,
        member({org_id: role}),
        """mutation($o: ID!) {
        createTeam(input: {orgId: $o, name: "t"}) { id } }""",
        {"o": org_id},
    )
    assert (result.errors is None) is allowed
    readable = await run_as(
        gateway,
        member({org_id: role}),
        "query($o: ID!) { teams(orgId: $o) { totalCount } }",
        {"o": org_id},
    )
    assert readable.errors is None  # every member may read


async def test_nobody_grants_more_than_they_hold(gateway: RunningGateway) -> None:
    admin = Principal(ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN)
    org_id = (await run_as(gateway, admin, CREATE_ORG, {"name": "Acme"})).data[
        "createOrganization"
    ]["id"]
    user = await make_user(gateway.runtime.sessions)
    grant = """mutation($o: ID!, $u: ID!, $r: OrgRole!) {
        setOrgMember(orgId: $o, userId: $u, role: $r) { role } }"""
    org_admin = member({org_id: OrgRole.ORG_ADMIN})
    owner = await run_as(gateway, org_admin, grant, {"o": org_id, "u": user.id, "r": "ORG_OWNER"})
    assert owner.errors[0].extensions["code"] == "FORBIDDEN"
    granted = await run_as(
        gateway, org_admin, grant, {"o": org_id, "u": user.id, "r": "ORG_MEMBER"}
    )
    assert granted.data["setOrgMember"]["role"] == "ORG_MEMBER"


async def test_only_platform_admins_create_organizations(gateway: RunningGateway) -> None:
    for role, allowed in [
        (PlatformRole.PLATFORM_ADMIN, True),
        (PlatformRole.PLATFORM_CO_ADMIN, True),
        (PlatformRole.ORG_USER, False),
    ]:
        result = await run_as(gateway, member({}, role), CREATE_ORG, {"name": f"O-{role.value}"})
        assert (result.errors is None) is allowed
        if not allowed:
            assert result.errors[0].extensions["code"] == "FORBIDDEN"


async def test_forced_password_change_blocks_everything_else(gateway: RunningGateway) -> None:
    principal = Principal(
        ActorType.USER, "u", PlatformRole.PLATFORM_ADMIN, must_change_password=True
    )
    result = await run_as(gateway, principal, "{ organizations { totalCount } }")
    assert result.errors[0].extensions["code"] == "PASSWORD_CHANGE_REQUIRED"
    me = await run_as(gateway, principal, "{ me { mustChangePassword } }")
    assert me.data["me"]["mustChangePassword"] is True


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
    assert bad["data"]["updateKey"]["errors"][0]["field"] == "budget_duration"


async def test_team_membership_needs_org_membership(gateway: RunningGateway) -> None:
    admin = Principal(ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN)
    org_id = (await run_as(gateway, admin, CREATE_ORG, {"name": "Acme"})).data[
        "createOrganization"
    ]["id"]
    team_id = (
        await run_as(
            gateway,
            admin,
            """mutation($o: ID!) { createTeam(input: {orgId: $o,
        name: "t"}) { id } }""",
            {"o": org_id},
        )
    ).data["createTeam"]["id"]
    user = await make_user(gateway.runtime.sessions)
    set_team = """mutation($t: ID!, $u: ID!) { setTeamMember(teamId: $t, userId: $u,
        role: TEAM_DEVELOPER) { role } }"""
    outsider = await run_as(gateway, admin, set_team, {"t": team_id, "u": user.id})
    assert outsider.errors[0].extensions["code"] == "BAD_USER_INPUT"
    await run_as(
        gateway,
        admin,
        """mutation($o: ID!, $u: ID!) { setOrgMember(orgId: $o,
        userId: $u, role: ORG_MEMBER) { role } }""",
        {"o": org_id, "u": user.id},
    )
    added = await run_as(gateway, admin, set_team, {"t": team_id, "u": user.id})
    assert added.data["setTeamMember"]["role"] == "TEAM_DEVELOPER"
    stranger = member({}, PlatformRole.ORG_USER)
    refused = await run_as(gateway, stranger, set_team, {"t": team_id, "u": user.id})
    assert refused.errors[0].extensions["code"] == "FORBIDDEN"
