"""``User.orgMemberships`` / ``User.teamMemberships`` over POST /graphql: what they show,
who may see them, and that a page of users costs the same SQL for 1 user and for 50."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.users.models import OrgRole, PlatformRole, TeamRole
from tests.integration.test_graphql_query_counts import statements_for
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in
from tests.support.tenancy import make_member, make_org, make_team, make_team_member, make_user


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


USERS = """query($s: String) { users(first: 100, search: $s) { edges { node { email
    orgMemberships { orgId orgName role }
    teamMemberships { teamId teamName orgId role } } } } }"""


async def test_admins_and_co_admins_see_each_users_memberships(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions, name="Zeta Org", slug="zeta")
    other = await make_org(sessions, name="Alpha Org", slug="alpha")
    team = await make_team(sessions, org)
    user = await make_user(sessions, email="member_1@example.com")
    await make_member(sessions, org.id, user.id, OrgRole.ORG_ADMIN)
    await make_member(sessions, other.id, user.id, OrgRole.ORG_AUDITOR)
    await make_team_member(sessions, team.id, user.id, TeamRole.TEAM_VIEWER)
    await make_user(sessions, email="loner_1@example.com")
    _, co_admin = await signed_in(gateway, platform_role=PlatformRole.PLATFORM_CO_ADMIN)

    for headers in (None, co_admin):
        if headers is None:
            body = await gql(gateway, USERS, {"s": "_1@example.com"})
        else:
            body = await gql(gateway, USERS, {"s": "_1@example.com"}, headers=headers)
        assert "errors" not in body, body
        nodes = {e["node"]["email"]: e["node"] for e in body["data"]["users"]["edges"]}
        assert nodes["member_1@example.com"]["orgMemberships"] == [
            {"orgId": other.id, "orgName": "Alpha Org", "role": "ORG_AUDITOR"},
            {"orgId": org.id, "orgName": "Zeta Org", "role": "ORG_ADMIN"},
        ]
        assert nodes["member_1@example.com"]["teamMemberships"] == [
            {"teamId": team.id, "teamName": team.name, "orgId": org.id, "role": "TEAM_VIEWER"}
        ]
        assert nodes["loner_1@example.com"]["orgMemberships"] == []
        assert nodes["loner_1@example.com"]["teamMemberships"] == []


async def test_an_org_user_cannot_read_memberships_of_users(gateway: RunningGateway) -> None:
    org = await make_org(gateway.runtime.sessions)
    _, owner = await signed_in(gateway, orgs={org.id: OrgRole.ORG_OWNER})
    body = await gql(gateway, USERS, {"s": None}, headers=owner)
    assert codes(body) == ["FORBIDDEN"]
    assert body["data"] is None


async def test_memberships_of_a_page_of_users_cost_the_same_for_1_and_50(
    gateway: RunningGateway,
) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions)
    team = await make_team(sessions, org)

    async def add_members(count: int) -> None:
        for _ in range(count):
            user = await make_user(sessions)
            await make_member(sessions, org.id, user.id, OrgRole.ORG_MEMBER)
            await make_team_member(sessions, team.id, user.id, TeamRole.TEAM_DEVELOPER)

    await add_members(1)
    one = await statements_for(gateway, USERS, {"s": None})
    await add_members(49)
    fifty = await statements_for(gateway, USERS, {"s": None})
    assert one == fifty
    assert one <= 4
