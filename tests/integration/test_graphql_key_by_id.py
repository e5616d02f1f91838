"""key(keyId) over POST /graphql: one key by id for whoever may see it, as keyAdmission."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.keys.spec import KeySpec
from app.users.models import OrgRole, PlatformRole, TeamRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, new_team, signed_in

KEY = """query($k: ID!) { key(keyId: $k) { id alias keyDisplay teamId orgId revoked status
  team { id name } organization { id name } } }"""


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


async def test_the_key_with_its_team_and_organization(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway, "Acme")
    team_id = await new_team(gateway, org_id, "Platform")
    created = await gateway.runtime.keys.create(KeySpec(team_id=team_id, alias="ci"))
    body = await gql(gateway, KEY, {"k": created.key.id})
    key = body["data"]["key"]
    assert key["id"] == created.key.id and key["alias"] == "ci"
    assert key["keyDisplay"].startswith(created.key.key_prefix)
    assert (key["teamId"], key["orgId"]) == (team_id, org_id)
    assert key["team"]["name"] == "Platform" and key["organization"]["name"] == "Acme"
    assert (key["revoked"], key["status"]) == (False, "ACTIVE")


async def test_revoked_keys_load_and_unknown_ids_are_not_found(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec())
    await gateway.runtime.keys.revoke(created.key.id)
    body = await gql(gateway, KEY, {"k": created.key.id})
    assert body["data"]["key"]["revoked"] is True
    missing = await gql(gateway, KEY, {"k": "no-such-key"})
    assert codes(missing) == ["NOT_FOUND"] and missing["data"] is None
    _, member = await signed_in(gateway, orgs={await new_org(gateway): OrgRole.ORG_MEMBER})
    missing = await gql(gateway, KEY, {"k": "no-such-key"}, headers=member)
    assert codes(missing) == ["NOT_FOUND"]


async def test_visible_to_whoever_may_see_the_key(gateway: RunningGateway) -> None:
    org_id, other_org = await new_org(gateway, "Acme"), await new_org(gateway, "Other")
    team_id, other_team = await new_team(gateway, org_id), await new_team(gateway, other_org)
    key_id = (await gateway.runtime.keys.create(KeySpec(team_id=team_id))).key.id
    _, member = await signed_in(gateway, orgs={org_id: OrgRole.ORG_MEMBER})
    _, teammate = await signed_in(gateway, teams={team_id: TeamRole.TEAM_VIEWER})
    _, co_admin = await signed_in(gateway, platform_role=PlatformRole.PLATFORM_CO_ADMIN)
    _, outsider = await signed_in(gateway, orgs={other_org: OrgRole.ORG_OWNER})
    _, other_team_admin = await signed_in(gateway, teams={other_team: TeamRole.TEAM_ADMIN})
    for headers in (member, teammate, co_admin):
        body = await gql(gateway, KEY, {"k": key_id}, headers=headers)
        assert body["data"]["key"]["id"] == key_id, body
    for headers in (outsider, other_team_admin):
        refused = await gql(gateway, KEY, {"k": key_id}, headers=headers)
        assert codes(refused) == ["FORBIDDEN"] and refused["data"] is None
    anonymous = await gql(gateway, KEY, {"k": key_id}, token=None)
    assert codes(anonymous) == ["UNAUTHENTICATED"]
