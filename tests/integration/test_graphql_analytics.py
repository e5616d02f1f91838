"""Spend analytics, request logs and the audit log through the admin API, scoped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.keys.spec import KeySpec
from app.users.models import OrgRole
from tests.support.clock import ticking
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql, new_org, new_team, signed_in
from tests.support.tenancy import make_org, make_team, make_user

PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
HI = [{"role": "user", "content": "Hi"}]
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
"""When the traffic happens: the spend log's clock is pinned, so no run crosses midnight."""


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [
            {
                "model_name": name,
                "deltallm_params": {
                    "model": f"openai/{name}",
                    "api_base": fake_openai.base_url,
                    **PRICE,
                },
            }
            for name in ("gpt-a", "gpt-b")
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        gw.runtime.gateway.set_clock(ticking(NOW))
        yield gw


async def data(
    gw: RunningGateway,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST /graphql as the master key (or the session in ``headers``); no errors allowed."""
    body = await gql(gw, query, variables, headers=headers)
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture
async def traffic(gateway: RunningGateway) -> dict[str, str]:
    """Calls from two organizations: 3 on gpt-a from Acme, 1 on gpt-b from Globex."""
    sessions = gateway.runtime.sessions
    orgs = {
        name: await make_org(sessions, name=name, slug=name.lower()) for name in ("Acme", "Globex")
    }
    keys = {}
    for name, org in orgs.items():
        team = await make_team(sessions, org)
        keys[name] = await gateway.runtime.keys.create(KeySpec(team_id=team.id))
    async with gateway.client(keys["Acme"].secret) as acme:
        for _ in range(3):
            await acme.chat.completions.create(model="gpt-a", messages=HI)
    async with gateway.client(keys["Globex"].secret) as globex:
        await globex.chat.completions.create(model="gpt-b", messages=HI)
    await gateway.runtime.gateway.settler.drain()
    await gateway.runtime.spend_queue.flush()
    return {"acme": orgs["Acme"].id, "globex": orgs["Globex"].id, "acme_key": keys["Acme"].key.id}


def window() -> dict[str, str]:
    today = NOW.date()
    return {"s": (today - timedelta(days=2)).isoformat(), "e": today.isoformat()}


async def test_totals_series_and_breakdown(
    gateway: RunningGateway, traffic: dict[str, str]
) -> None:
    seen = await data(
        gateway,
        """query($s: Date!, $e: Date!) {
        spendTotals(start: $s, end: $e) { cost requests promptTokens }
        dailySpend(start: $s, end: $e) { label cost requests }
        spendBreakdown(start: $s, end: $e, by: MODEL) { label name cost requests } }""",
        window(),
    )
    assert Decimal(seen["spendTotals"]["cost"]) == Decimal("0.048")
    assert seen["spendTotals"]["requests"] == 4
    assert [d["requests"] for d in seen["dailySpend"]] == [0, 0, 4]
    assert [(b["label"], b["requests"]) for b in seen["spendBreakdown"]] == [
        ("gpt-a", 3),
        ("gpt-b", 1),
    ]


async def test_breakdowns_name_keys_teams_orgs_and_users(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions, name="Acme Corporation", slug="acme")
    team = await make_team(sessions, org)
    user = await make_user(sessions, email="ada@example.com")
    named = await gateway.runtime.keys.create(KeySpec(team_id=team.id, alias="billing"))
    plain = await gateway.runtime.keys.create(KeySpec(team_id=team.id, user_id=user.id))
    for created, calls in ((named, 2), (plain, 1)):
        async with gateway.client(created.secret) as client:
            for _ in range(calls):
                await client.chat.completions.create(model="gpt-a", messages=HI)
    await gateway.runtime.gateway.settler.drain()
    await gateway.runtime.spend_queue.flush()
    seen = await data(
        gateway,
        """query($s: Date!, $e: Date!) {
        keys: spendBreakdown(start: $s, end: $e, by: KEY) { label name requests }
        teams: spendBreakdown(start: $s, end: $e, by: TEAM) { label name }
        orgs: spendBreakdown(start: $s, end: $e, by: ORG) { label name }
        users: spendBreakdown(start: $s, end: $e, by: USER) { label name }
        models: spendBreakdown(start: $s, end: $e, by: MODEL) { label name } }""",
        window(),
    )
    plain_display = f"{plain.key.key_prefix}…{plain.key.key_suffix}"
    assert seen["keys"] == [
        {"label": named.key.id, "name": "billing", "requests": 2},
        {"label": plain.key.id, "name": plain_display, "requests": 1},
    ]
    assert seen["teams"] == [{"label": team.id, "name": team.name}]
    assert seen["orgs"] == [{"label": org.id, "name": "Acme Corporation"}]
    assert seen["users"] == [
        {"label": None, "name": None},
        {"label": user.id, "name": "ada@example.com"},
    ]
    assert seen["models"] == [{"label": "gpt-a", "name": None}]


async def test_an_org_member_sees_only_their_org(
    gateway: RunningGateway, traffic: dict[str, str]
) -> None:
    _, member = await signed_in(gateway, orgs={traffic["acme"]: OrgRole.ORG_MEMBER})
    seen = await data(
        gateway,
        """query($s: Date!, $e: Date!) {
        spendTotals(start: $s, end: $e) { requests }
        spendBreakdown(start: $s, end: $e, by: ORG) { label }
        requestLogs { totalCount edges { node { orgId modelGroup cost status } } } }""",
        window(),
        headers=member,
    )
    assert seen["spendTotals"]["requests"] == 3
    assert [b["label"] for b in seen["spendBreakdown"]] == [traffic["acme"]]
    logs = seen["requestLogs"]
    assert logs["totalCount"] == 3
    assert {e["node"]["orgId"] for e in logs["edges"]} == {traffic["acme"]}


async def test_request_log_filters_and_pages(
    gateway: RunningGateway, traffic: dict[str, str]
) -> None:
    query = """query($after: String, $f: RequestLogFilter) { requestLogs(first: 2, after: $after,
        filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { node { keyId } } } }"""
    first = await data(gateway, query, {"f": {"keyId": traffic["acme_key"]}})
    page = first["requestLogs"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = await data(
        gateway,
        query,
        {"after": page["pageInfo"]["endCursor"], "f": {"keyId": traffic["acme_key"]}},
    )
    assert len(rest["requestLogs"]["edges"]) == 1
    by_status = await data(gateway, query, {"f": {"status": "error"}})
    assert by_status["requestLogs"]["totalCount"] == 0


async def test_request_logs_come_newest_first_and_page_either_way(
    gateway: RunningGateway, traffic: dict[str, str]
) -> None:
    query = """query($after: String, $o: SortOrder!, $n: Int!) { requestLogs(first: $n,
        after: $after, order: $o) { pageInfo { hasNextPage endCursor }
        edges { node { requestId startedAt } } } }"""

    async def walk(order: str) -> list[str]:
        seen: list[str] = []
        after = None
        while True:
            page = (await data(gateway, query, {"after": after, "o": order, "n": 1}))["requestLogs"]
            seen += [e["node"]["requestId"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return seen
            after = page["pageInfo"]["endCursor"]

    everything = (await data(gateway, query, {"o": "NEWEST_FIRST", "n": 100}))["requestLogs"]
    times = [e["node"]["startedAt"] for e in everything["edges"]]
    assert len(times) == 4 and times == sorted(times, reverse=True)
    newest_first = [e["node"]["requestId"] for e in everything["edges"]]
    assert await walk("NEWEST_FIRST") == newest_first
    assert await walk("OLDEST_FIRST") == newest_first[::-1]
    default = await data(gateway, "{ requestLogs { edges { node { requestId } } } }")
    assert [e["node"]["requestId"] for e in default["requestLogs"]["edges"]] == newest_first


async def test_audit_log_comes_newest_first(gateway: RunningGateway) -> None:
    await new_team(gateway, await new_org(gateway, "Acme"))
    query = "query($o: SortOrder!) { auditLog(order: $o) { edges { node { action } } } }"
    newest = await data(gateway, query, {"o": "NEWEST_FIRST"})
    assert [e["node"]["action"] for e in newest["auditLog"]["edges"]] == [
        "team.create",
        "organization.create",
    ]
    oldest = await data(gateway, query, {"o": "OLDEST_FIRST"})
    assert [e["node"]["action"] for e in oldest["auditLog"]["edges"]] == [
        "organization.create",
        "team.create",
    ]


async def test_audit_log_is_scoped_to_auditors(gateway: RunningGateway) -> None:
    acme, globex = await new_org(gateway, "Acme"), await new_org(gateway, "Globex")
    for org_id in (acme, globex):
        await new_team(gateway, org_id)
    everything = await data(gateway, "{ auditLog { totalCount edges { node { action }} } }")
    assert everything["auditLog"]["totalCount"] == 4
    _, auditor = await signed_in(
        gateway, orgs={acme: OrgRole.ORG_AUDITOR, globex: OrgRole.ORG_MEMBER}
    )
    seen = await data(gateway, "{ auditLog { edges { node { action orgId } } } }", headers=auditor)
    assert {(e["node"]["action"], e["node"]["orgId"]) for e in seen["auditLog"]["edges"]} == {
        ("organization.create", acme),
        ("team.create", acme),
    }


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ('spendTotals(start: "2026-11-10", end: "2026-11-01") { cost }', "end", "before"),
        ('dailySpend(start: "2024-01-01", end: "2026-11-01") { cost }', "end", "366 days"),
        (
            'spendBreakdown(start: "2026-11-01", end: "2026-11-01", by: MODEL, limit: 0) { cost }',
            "limit",
            "between 1 and 100",
        ),
        ("requestLogs(first: 101) { totalCount }", "first", "between 1 and 100"),
        ('requestLogs(filter: {status: "weird"}) { totalCount }', "status", "ok, error"),
        ('auditLog(after: "not-a-cursor") { totalCount }', "after", "cursor"),
    ],
)
async def test_bad_arguments_name_the_argument(
    gateway: RunningGateway, query: str, field: str, message: str
) -> None:
    body = await gql(gateway, f"{{ {query} }}")
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    assert message in error["message"]
