"""Organization and team mutations over POST /graphql: typed payload errors, partial updates.

Expected mistakes (a taken name, an invalid limit, an unknown user) come back in the
payload's ``errors``; FORBIDDEN and NOT_FOUND of the target stay GraphQL errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import col, select

from app.audit.models import AuditLog
from app.users.models import OrgRole, TeamRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, new_team, signed_in


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


CREATE = """mutation($n: String!, $l: LimitsInput) { createOrganization(name: $n, limits: $l)
    { organization { name slug maxBudget budgetDuration } errors { field code message } } }"""
UPDATE = """mutation($i: ID!, $n: String, $l: LimitsInput) { updateOrganization(id: $i, name: $n,
    limits: $l) { organization { name maxBudget rpmLimit tpmLimit models }
    errors { field code } } }"""
CREATE_TEAM = """mutation($o: ID!, $n: String!, $l: LimitsInput) { createTeam(input: {orgId: $o,
    name: $n, limits: $l}) { team { name maxBudget } errors { field code } } }"""
UPDATE_TEAM = """mutation($t: ID!, $n: String, $l: LimitsInput) { updateTeam(teamId: $t,
    name: $n, limits: $l) { team { name maxBudget rpmLimit models } errors { field code } } }"""
SET_MEMBER = """mutation($o: ID!, $u: ID!, $r: OrgRole!) { setOrgMember(orgId: $o, userId: $u,
    role: $r) { membership { orgId userId role } errors { field code } } }"""


def only_errors(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    payload = body["data"][name]
    assert next(v for k, v in payload.items() if k != "errors") is None
    errors: list[dict[str, Any]] = payload["errors"]
    return errors


@pytest.mark.parametrize(
    ("name", "limits", "expected"),
    [
        ("   ", None, {"field": "name", "code": "invalid"}),
        ("Neg", {"rpmLimit": -1}, {"field": "rpmLimit", "code": "invalid"}),
        ("Huge", {"maxBudget": "1e12"}, {"field": "maxBudget", "code": "invalid"}),
        ("When", {"budgetDuration": "fortnight"}, {"field": "budgetDuration", "code": "invalid"}),
    ],
)
async def test_create_organization_refuses_bad_input_in_the_payload(
    gateway: RunningGateway, name: str, limits: dict[str, Any] | None, expected: dict[str, str]
) -> None:
    body = await gql(gateway, CREATE, {"n": name, "l": limits})
    [error] = only_errors(body, "createOrganization")
    assert {"field": error["field"], "code": error["code"]} == expected
    listed = await gql(gateway, "{ organizations { totalCount } }")
    assert listed["data"]["organizations"]["totalCount"] == 0


async def test_name_and_slug_conflicts_are_payload_errors(gateway: RunningGateway) -> None:
    made = await gql(gateway, CREATE, {"n": "Acme Corp", "l": {"budgetDuration": "1mo"}})
    assert made["data"]["createOrganization"] == {
        "organization": {
            "name": "Acme Corp",
            "slug": "acme-corp",
            "maxBudget": None,
            "budgetDuration": "1mo",
        },
        "errors": [],
    }
    for taken in ("Acme Corp", "acme  corp!"):  # the same name, then the same slug
        [error] = only_errors(await gql(gateway, CREATE, {"n": taken}), "createOrganization")
        assert (error["field"], error["code"]) == ("name", "conflict")
        assert taken in error["message"]


async def test_update_organization_changes_only_what_is_sent(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway, "Acme")
    first = await gql(
        gateway, UPDATE, {"i": org_id, "l": {"rpmLimit": 5, "tpmLimit": 900, "models": ["a"]}}
    )
    assert first["data"]["updateOrganization"]["errors"] == []
    second = await gql(gateway, UPDATE, {"i": org_id, "n": "Acme 2", "l": {"tpmLimit": None}})
    payload = second["data"]["updateOrganization"]
    assert payload["errors"] == []
    org = payload["organization"]
    assert Decimal(org.pop("maxBudget")) == Decimal("10.5")  # from creation: unsent, unchanged
    assert org == {"name": "Acme 2", "rpmLimit": 5, "tpmLimit": None, "models": ["a"]}
    await new_org(gateway, "Globex")
    [conflict] = only_errors(
        await gql(gateway, UPDATE, {"i": org_id, "n": "Globex"}), "updateOrganization"
    )
    assert conflict == {"field": "name", "code": "conflict"}
    [bad] = only_errors(
        await gql(gateway, UPDATE, {"i": org_id, "l": {"maxParallelRequests": -2}}),
        "updateOrganization",
    )
    assert bad == {"field": "maxParallelRequests", "code": "invalid"}
    missing = await gql(gateway, UPDATE, {"i": "no-such-org", "n": "x"})
    assert codes(missing) == ["NOT_FOUND"]


async def test_org_admins_rename_but_only_platform_admins_set_org_limits(
    gateway: RunningGateway,
) -> None:
    org_id = await new_org(gateway, "Acme")
    _, admin = await signed_in(gateway, orgs={org_id: OrgRole.ORG_ADMIN})
    renamed = await gql(gateway, UPDATE, {"i": org_id, "n": "Acme Ltd"}, headers=admin)
    assert renamed["data"]["updateOrganization"]["organization"]["name"] == "Acme Ltd"
    raised = await gql(gateway, UPDATE, {"i": org_id, "l": {"rpmLimit": 10**6}}, headers=admin)
    assert codes(raised) == ["FORBIDDEN"]
    _, member = await signed_in(gateway, orgs={org_id: OrgRole.ORG_MEMBER})
    assert codes(await gql(gateway, UPDATE, {"i": org_id, "n": "x"}, headers=member)) == [
        "FORBIDDEN"
    ]
    async with gateway.runtime.sessions() as session:
        actions = (
            await session.exec(select(AuditLog.action).where(col(AuditLog.target_id) == org_id))
        ).all()
    assert sorted(actions) == ["organization.create", "organization.update"]


async def test_teams_conflicts_and_invalid_limits_are_payload_errors(
    gateway: RunningGateway,
) -> None:
    org_id = await new_org(gateway)
    made = await gql(gateway, CREATE_TEAM, {"o": org_id, "n": "search", "l": {"maxBudget": "3"}})
    assert made["data"]["createTeam"] == {
        "team": {"name": "search", "maxBudget": "3"},
        "errors": [],
    }
    [taken] = only_errors(
        await gql(gateway, CREATE_TEAM, {"o": org_id, "n": "search"}), "createTeam"
    )
    assert taken == {"field": "name", "code": "conflict"}
    [bad] = only_errors(
        await gql(gateway, CREATE_TEAM, {"o": org_id, "n": "x", "l": {"tpmLimit": -1}}),
        "createTeam",
    )
    assert bad == {"field": "tpmLimit", "code": "invalid"}
    other_org = await new_org(gateway, "Globex")
    same_name_elsewhere = await gql(gateway, CREATE_TEAM, {"o": other_org, "n": "search"})
    assert same_name_elsewhere["data"]["createTeam"]["errors"] == []
    missing = await gql(gateway, CREATE_TEAM, {"o": "no-such-org", "n": "x"})
    assert codes(missing) == ["NOT_FOUND"]


async def test_update_team_by_role(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)
    team_id = await new_team(gateway, org_id, "search")
    await new_team(gateway, org_id, "ads")
    _, team_admin = await signed_in(
        gateway, orgs={org_id: OrgRole.ORG_MEMBER}, teams={team_id: TeamRole.TEAM_ADMIN}
    )
    renamed = await gql(gateway, UPDATE_TEAM, {"t": team_id, "n": "find"}, headers=team_admin)
    assert renamed["data"]["updateTeam"]["team"]["name"] == "find"
    budget = {"t": team_id, "l": {"maxBudget": "99"}}
    assert codes(await gql(gateway, UPDATE_TEAM, budget, headers=team_admin)) == ["FORBIDDEN"]
    [taken] = only_errors(
        await gql(gateway, UPDATE_TEAM, {"t": team_id, "n": "ads"}, headers=team_admin),
        "updateTeam",
    )
    assert taken == {"field": "name", "code": "conflict"}

    _, org_admin = await signed_in(gateway, orgs={org_id: OrgRole.ORG_ADMIN})
    limited = await gql(
        gateway,
        UPDATE_TEAM,
        {"t": team_id, "l": {"maxBudget": "99", "rpmLimit": 7, "models": ["gpt-*"]}},
        headers=org_admin,
    )
    assert limited["data"]["updateTeam"] == {
        "team": {"name": "find", "maxBudget": "99", "rpmLimit": 7, "models": ["gpt-*"]},
        "errors": [],
    }
    for role in (TeamRole.TEAM_DEVELOPER, TeamRole.TEAM_VIEWER):
        _, other = await signed_in(
            gateway, orgs={org_id: OrgRole.ORG_MEMBER}, teams={team_id: role}
        )
        refused = await gql(gateway, UPDATE_TEAM, {"t": team_id, "n": "mine"}, headers=other)
        assert codes(refused) == ["FORBIDDEN"], role
    assert codes(await gql(gateway, UPDATE_TEAM, {"t": "nope", "n": "x"})) == ["NOT_FOUND"]


async def test_set_org_member_reports_an_unknown_user_in_the_payload(
    gateway: RunningGateway,
) -> None:
    org_id = await new_org(gateway)
    body = await gql(gateway, SET_MEMBER, {"o": org_id, "u": "no-such-user", "r": "ORG_MEMBER"})
    assert body["data"]["setOrgMember"] == {
        "membership": None,
        "errors": [{"field": "userId", "code": "unknown_user"}],
    }
    missing_org = await gql(
        gateway, SET_MEMBER, {"o": "no-such-org", "u": "no-such-user", "r": "ORG_MEMBER"}
    )
    assert codes(missing_org) == ["NOT_FOUND"]
