"""No key gets more than its team and organization have, unless a platform admin makes it.

Refusals are typed payload errors naming the field (code ``exceeds_owner_limit``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from app.users.models import OrgRole, TeamRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql, signed_in
from tests.support.tenancy import make_org, make_team, make_user


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


CREATE = """mutation($i: CreateKeyInput!) { createKey(input: $i)
    { key { id models maxBudget rpmLimit } errors { field code message } } }"""
UPDATE = """mutation($k: ID!, $i: UpdateKeyInput!) { updateKey(keyId: $k, input: $i)
    { key { rpmLimit models } errors { field code } } }"""
CAPPED = "exceeds_owner_limit"


@dataclass
class Caps:
    team_id: str
    open_team_id: str
    org_admin: dict[str, str]
    developer: dict[str, str]


@pytest.fixture
async def caps(gateway: RunningGateway) -> Caps:
    sessions = gateway.runtime.sessions
    org = await make_org(
        sessions, models=["gpt-*"], max_budget=Decimal(100), rpm_limit=1000, tpm_limit=10**6
    )
    team = await make_team(
        sessions,
        org,
        models=["gpt-a", "gpt-b"],
        max_budget=Decimal(10),
        rpm_limit=100,
        tpm_limit=5000,
        max_parallel_requests=5,
    )
    open_team = await make_team(sessions, org)  # no caps of its own: the org's apply
    _, org_admin = await signed_in(gateway, orgs={org.id: OrgRole.ORG_ADMIN})
    _, developer = await signed_in(
        gateway, orgs={org.id: OrgRole.ORG_MEMBER}, teams={team.id: TeamRole.TEAM_DEVELOPER}
    )
    return Caps(team.id, open_team.id, org_admin, developer)


async def create(gw: RunningGateway, who: dict[str, str] | None, **input_: Any) -> Any:
    body = await gql(gw, CREATE, {"i": input_}, headers=who)
    assert "errors" not in body, body
    return body["data"]["createKey"]


def refused(payload: dict[str, Any]) -> tuple[str, str]:
    assert payload["key"] is None
    [error] = payload["errors"]
    return error["field"], error["code"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("models", ["gpt-a", "gpt-c"]),
        ("models", ["*"]),
        ("maxBudget", "10.01"),
        ("rpmLimit", 101),
        ("tpmLimit", 5001),
        ("maxParallelRequests", 6),
    ],
)
async def test_a_key_cannot_exceed_its_team(
    gateway: RunningGateway, caps: Caps, field: str, value: Any
) -> None:
    for who in (caps.org_admin, caps.developer):
        payload = await create(gateway, who, teamId=caps.team_id, **{field: value})
        assert refused(payload) == (field, CAPPED)
        assert "team" in payload["errors"][0]["message"]


async def test_a_key_up_to_the_caps_is_made(gateway: RunningGateway, caps: Caps) -> None:
    payload = await create(
        gateway,
        caps.developer,
        teamId=caps.team_id,
        models=["gpt-b"],
        maxBudget="10",
        rpmLimit=100,
        tpmLimit=5000,
        maxParallelRequests=5,
    )
    assert payload["errors"] == []
    assert payload["key"]["models"] == ["gpt-b"] and payload["key"]["rpmLimit"] == 100
    unlimited = await create(gateway, caps.developer, teamId=caps.team_id)
    assert unlimited["errors"] == []  # no limit of its own: the team's still apply


async def test_the_organization_caps_teams_without_caps(
    gateway: RunningGateway, caps: Caps
) -> None:
    team = caps.open_team_id
    over = await create(gateway, caps.org_admin, teamId=team, maxBudget="100.5")
    assert refused(over) == ("maxBudget", CAPPED)
    assert "organization" in over["errors"][0]["message"]
    other_family = await create(gateway, caps.org_admin, teamId=team, models=["claude-3"])
    assert refused(other_family) == ("models", CAPPED)
    inside = await create(
        gateway, caps.org_admin, teamId=team, models=["gpt-x", "gpt-4*"], rpmLimit=1000
    )
    assert inside["errors"] == [] and inside["key"]["models"] == ["gpt-x", "gpt-4*"]


async def test_updates_are_capped_field_by_field(gateway: RunningGateway, caps: Caps) -> None:
    key_id = (await create(gateway, caps.developer, teamId=caps.team_id, rpmLimit=10))["key"]["id"]
    raised = await gql(
        gateway, UPDATE, {"k": key_id, "i": {"rpmLimit": 500}}, headers=caps.developer
    )
    assert raised["data"]["updateKey"] == {
        "key": None,
        "errors": [{"field": "rpmLimit", "code": CAPPED}],
    }
    widened = await gql(
        gateway, UPDATE, {"k": key_id, "i": {"models": ["gpt-z"]}}, headers=caps.org_admin
    )
    assert widened["data"]["updateKey"]["errors"] == [{"field": "models", "code": CAPPED}]
    within = await gql(
        gateway,
        UPDATE,
        {"k": key_id, "i": {"rpmLimit": 50, "models": ["gpt-a"]}},
        headers=caps.developer,
    )
    assert within["data"]["updateKey"] == {
        "key": {"rpmLimit": 50, "models": ["gpt-a"]},
        "errors": [],
    }


async def test_platform_admins_are_not_capped(gateway: RunningGateway, caps: Caps) -> None:
    payload = await create(
        gateway, None, teamId=caps.team_id, models=["claude-3"], maxBudget="5000", rpmLimit=10**6
    )
    assert payload["errors"] == []
    updated = await gql(gateway, UPDATE, {"k": payload["key"]["id"], "i": {"rpmLimit": 10**7}})
    assert updated["data"]["updateKey"]["key"]["rpmLimit"] == 10**7


async def test_a_key_user_must_belong_to_the_organization(
    gateway: RunningGateway, caps: Caps
) -> None:
    outsider = await make_user(gateway.runtime.sessions)
    payload = await create(gateway, caps.org_admin, teamId=caps.team_id, userId=outsider.id)
    assert refused(payload) == ("userId", "not_a_member")
    unknown = await create(gateway, caps.org_admin, teamId=caps.team_id, userId="no-such-user")
    assert refused(unknown) == ("userId", "unknown_user")
