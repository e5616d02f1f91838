"""auditLog's filters over POST /graphql: an action family by prefix (its dot included, so
``team.`` is not ``team_membership.``), one exact action, a target, an actor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql, new_org, new_team, signed_in

AUDIT = """query($a: String, $t: String, $i: String, $u: String) {
  auditLog(first: 50, action: $a, targetType: $t, targetId: $i, actorId: $u,
           order: OLDEST_FIRST) {
    totalCount edges { node { action targetType targetId actorId } } } }"""
JOIN = """mutation($o: ID!, $t: ID!, $u: ID!) {
  setOrgMember(orgId: $o, userId: $u, role: ORG_MEMBER) { errors { code } }
  setTeamMember(teamId: $t, userId: $u, role: TEAM_DEVELOPER) { errors { code } } }"""


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({}) as gw:
        yield gw


async def audit(gw: RunningGateway, **variables: Any) -> list[tuple[str, str]]:
    body = await gql(gw, AUDIT, variables)
    assert "errors" not in body, body
    log = body["data"]["auditLog"]
    assert log["totalCount"] == len(log["edges"])
    return [(e["node"]["action"], e["node"]["targetId"]) for e in log["edges"]]


async def test_an_action_family_is_a_prefix_and_an_action_is_exact(
    gateway: RunningGateway,
) -> None:
    org = await new_org(gateway, "Acme")
    first, second = await new_team(gateway, org, "one"), await new_team(gateway, org, "two")
    member, _ = await signed_in(gateway)
    body = await gql(gateway, JOIN, {"o": org, "t": first, "u": member})
    assert body["data"]["setOrgMember"]["errors"] == body["data"]["setTeamMember"]["errors"] == []
    assert [a for a, _ in await audit(gateway, a="team_membership.")] == ["team_membership.set"]
    assert [a for a, _ in await audit(gateway, a="org_membership.")] == ["org_membership.set"]

    assert await audit(gateway, a="team.") == [("team.create", first), ("team.create", second)]
    assert await audit(gateway, a="team") == []
    assert await audit(gateway, a="team.create", i=second) == [("team.create", second)]
    assert [a for a, _ in await audit(gateway, a="organization.")] == ["organization.create"]
    assert await audit(gateway, a="team%") == []
    assert await audit(gateway, a="team_") == []


async def test_target_and_actor_filters_combine_with_the_family(gateway: RunningGateway) -> None:
    org = await new_org(gateway, "Acme")
    team = await new_team(gateway, org)
    assert await audit(gateway, t="team", i=team) == [("team.create", team)]
    assert await audit(gateway, t="organization", a="team.") == []
    everything = (await gql(gateway, AUDIT, {}))["data"]["auditLog"]["edges"]
    actor = everything[0]["node"]["actorId"]
    assert len(await audit(gateway, u=actor, a="organization.")) == 1
    assert await audit(gateway, u="nobody", a="organization.") == []
