"""budgetsNearLimit over POST /graphql: keys, users, teams and organizations at or above a
share of their budget, worst first, scoped to what the caller may see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.db.types import utcnow
from app.keys.models import VirtualKey
from app.keys.spec import KeySpec
from app.orgs.models import Organization, Team
from app.users.models import OrgRole, PlatformRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in
from tests.support.tenancy import Sessions, make_org, make_user

NEAR = """query($t: Float! = 0.8, $f: Int! = 20) { budgetsNearLimit(threshold: $t, first: $f) {
  kind id name spend maxBudget budgetDuration resetAt } }"""
DAY = timedelta(days=1)


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


async def make_key(
    gw: RunningGateway, team_id: str | None, spend: str, budget: str | None, **state: Any
) -> str:
    """A key created through the service, then given this spend (and ``state``) directly."""
    alias = state.pop("alias", None)
    key = (await gw.runtime.keys.create(KeySpec(alias=alias, team_id=team_id))).key
    async with gw.runtime.sessions() as session, session.begin():
        row = await session.get(VirtualKey, key.id)
        assert row is not None
        row.spend = Decimal(spend)
        row.max_budget = Decimal(budget) if budget is not None else None
        for name, value in state.items():
            setattr(row, name, value)
    return key.id


async def named_team(sessions: Sessions, org: Organization, name: str = "t", **fields: Any) -> Team:
    async with sessions() as session, session.begin():
        team = Team(org_id=org.id, name=name, **fields)
        session.add(team)
    return team


def listed(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    assert "errors" not in body, body
    return [(u["kind"], u["name"], u["spend"]) for u in body["data"]["budgetsNearLimit"]]


async def test_every_kind_worst_first_at_or_above_the_threshold(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions, name="Acme", max_budget=Decimal(100), spend=Decimal(85))
    team = await named_team(
        sessions, org, name="Research", max_budget=Decimal(10), spend=Decimal(12)
    )
    await named_team(sessions, org, name="Calm", max_budget=Decimal(10), spend=Decimal("7.99"))
    await named_team(sessions, org, name="Unlimited", spend=Decimal(500))
    await named_team(sessions, org, name="Zero", max_budget=Decimal(0), spend=Decimal(1))
    await make_user(sessions, email="heavy@example.com", max_budget=Decimal(20), spend=Decimal(18))
    await make_key(gateway, team.id, "8", "10", alias="exactly-80")
    unnamed = await make_key(gateway, team.id, "9.5", "10")
    await make_key(gateway, team.id, "9.9", "10", alias="revoked", revoked_at=utcnow())

    body = await gql(gateway, NEAR)
    prefix = next(u for u in body["data"]["budgetsNearLimit"] if u["id"] == unnamed)["name"]
    assert prefix.startswith("sk-") and "…" in prefix
    assert listed(body) == [
        ("TEAM", "Research", "12"),
        ("KEY", prefix, "9.5"),
        ("USER", "heavy@example.com", "18"),
        ("ORGANIZATION", "Acme", "85"),
        ("KEY", "exactly-80", "8"),
    ]
    first = body["data"]["budgetsNearLimit"][0]
    assert (first["id"], first["maxBudget"], first["budgetDuration"]) == (team.id, "10", None)

    # A higher threshold keeps the worst; first cuts the list after the worst ones.
    assert [n for _, n, _ in listed(await gql(gateway, NEAR, {"t": 0.9}))] == [
        "Research",
        prefix,
        "heavy@example.com",
    ]
    assert [n for _, n, _ in listed(await gql(gateway, NEAR, {"t": 1.1}))] == ["Research"]
    assert [n for _, n, _ in listed(await gql(gateway, NEAR, {"f": 2}))] == ["Research", prefix]
    assert listed(await gql(gateway, NEAR, {"t": 1.5})) == []


async def test_a_periodic_budget_counts_only_the_current_period(gateway: RunningGateway) -> None:
    org = await make_org(gateway.runtime.sessions, name="Periods")
    team = await named_team(gateway.runtime.sessions, org)
    reset_at = (utcnow() + DAY).replace(microsecond=0)
    current = await make_key(
        gateway, team.id, "9", "10", alias="daily", budget_duration="1d", budget_reset_at=reset_at
    )
    # The period ended: the next charge starts from zero, so the stored 9 is history.
    await make_key(
        gateway,
        team.id,
        "9",
        "10",
        alias="rolled over",
        budget_duration="1d",
        budget_reset_at=utcnow() - DAY,
    )
    # The length changed: the next charge starts a new period.
    await make_key(gateway, team.id, "9", "10", alias="restarting", budget_duration="7d")

    body = await gql(gateway, NEAR)
    assert listed(body) == [("KEY", "daily", "9")]
    use = body["data"]["budgetsNearLimit"][0]
    assert use["id"] == current
    assert use["budgetDuration"] == "1d"
    assert use["resetAt"].startswith(reset_at.strftime("%Y-%m-%dT%H:%M:%S"))


async def test_org_members_see_their_organizations_only(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    mine = await make_org(sessions, name="Mine", max_budget=Decimal(10), spend=Decimal(9))
    other = await make_org(sessions, name="Other", max_budget=Decimal(10), spend=Decimal(10))
    for org in (mine, other):
        team = await named_team(
            sessions, org, name=f"{org.name} team", max_budget=Decimal(1), spend=Decimal(1)
        )
        await make_key(gateway, team.id, "5", "5", alias=f"{org.name} key")
    await make_user(sessions, email="someone@example.com", max_budget=Decimal(1), spend=Decimal(2))
    _, member = await signed_in(gateway, orgs={mine.id: OrgRole.ORG_MEMBER})
    _, outsider = await signed_in(gateway)
    _, co_admin = await signed_in(gateway, platform_role=PlatformRole.PLATFORM_CO_ADMIN)

    assert sorted(n for _, n, _ in listed(await gql(gateway, NEAR, headers=member))) == [
        "Mine",
        "Mine key",
        "Mine team",
    ]
    assert listed(await gql(gateway, NEAR, headers=outsider)) == []
    everything = [n for _, n, _ in listed(await gql(gateway, NEAR, headers=co_admin))]
    assert everything[0] == "someone@example.com"
    assert sorted(everything) == sorted(
        ["Mine", "Mine key", "Mine team", "Other", "Other key", "Other team", "someone@example.com"]
    )


async def test_bad_arguments_are_refused(gateway: RunningGateway) -> None:
    cases = [({"t": 0}, "threshold"), ({"t": -0.5}, "threshold"), ({"t": 10.5}, "threshold")]
    cases += [({"f": 0}, "first"), ({"f": 101}, "first")]
    for variables, field in cases:
        body = await gql(gateway, NEAR, variables)
        assert codes(body) == ["BAD_USER_INPUT"], (variables, body)
        assert body["errors"][0]["extensions"]["field"] == field, body
        assert body.get("data") is None
    # The bounds themselves are allowed.
    assert listed(await gql(gateway, NEAR, {"t": 10, "f": 100})) == []
    assert listed(await gql(gateway, NEAR, {"t": 0.01, "f": 1})) == []


async def test_signed_out_callers_are_refused(gateway: RunningGateway) -> None:
    body = await gql(gateway, NEAR, token=None)
    assert codes(body) == ["UNAUTHENTICATED"]
