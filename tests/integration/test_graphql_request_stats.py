"""requestStats and hourlySpend over POST /graphql: counts by outcome, the median latency
and spend per hour from the request log, scoped like the request logs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.spend.records import SpendRecord
from app.users.models import OrgRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in
from tests.support.tenancy import make_org

T0 = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)
STATS = """query($s: DateTime!, $e: DateTime!) { requestStats(start: $s, end: $e) {
  requests failed cancelled errorRate p50LatencyMs promptTokens completionTokens cost } }"""
HOURLY = """query($s: DateTime!, $e: DateTime!) { hourlySpend(start: $s, end: $e) {
  label cost requests promptTokens } }"""


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


async def log(gw: RunningGateway, *calls: tuple[str | None, timedelta, int, str]) -> None:
    """Write request logs through the spend writer: (org, start after T0, latency, status)."""
    for n, (org_id, after, latency, status) in enumerate(calls):
        started = T0 + after
        await gw.runtime.spend_queue.put(
            SpendRecord(
                request_id=f"req-{n}",
                model_group="demo",
                cost=Decimal("0.5"),
                started_at=started,
                ended_at=started + timedelta(milliseconds=latency),
                org_id=org_id,
                prompt_tokens=10,
                completion_tokens=2,
                latency_ms=latency,
                status=status,
            )
        )
    await gw.runtime.spend_queue.flush()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def data(gw: RunningGateway, query: str, s: datetime, e: datetime, **kw: Any) -> Any:
    body = await gql(gw, query, {"s": iso(s), "e": iso(e)}, **kw)
    assert "errors" not in body, body
    return body["data"]


async def test_counts_outcomes_and_the_median_latency_in_scope(gateway: RunningGateway) -> None:
    acme, globex = [await make_org(gateway.runtime.sessions) for _ in range(2)]
    minute = timedelta(minutes=1)
    await log(
        gateway,
        *[(acme.id, minute * n, latency, "ok") for n, latency in enumerate((40, 10, 30, 20))],
        (acme.id, minute * 5, 999, "error"),
        (acme.id, minute * 6, 0, "cancelled"),
        (globex.id, minute * 7, 5, "ok"),
        (acme.id, timedelta(hours=2), 1, "ok"),  # after the window
    )
    end = T0 + timedelta(hours=1)
    everything = (await data(gateway, STATS, T0, end))["requestStats"]
    assert everything == {
        "requests": 7,
        "failed": 1,
        "cancelled": 1,
        "errorRate": pytest.approx(1 / 7),
        "p50LatencyMs": 20,  # of 5, 10, 20, 30, 40: the errors and cancellations not counted
        "promptTokens": 70,
        "completionTokens": 14,
        "cost": everything["cost"],
    }
    assert Decimal(everything["cost"]) == Decimal("3.5")
    _, member = await signed_in(gateway, orgs={acme.id: OrgRole.ORG_MEMBER})
    mine = (await data(gateway, STATS, T0, end, headers=member))["requestStats"]
    assert (mine["requests"], mine["errorRate"]) == (6, pytest.approx(1 / 6))
    assert mine["p50LatencyMs"] == 25  # the two middle ones of 10, 20, 30, 40
    _, outsider = await signed_in(gateway)
    nothing = (await data(gateway, STATS, T0, end, headers=outsider))["requestStats"]
    assert nothing["requests"] == 0
    assert (nothing["errorRate"], nothing["p50LatencyMs"]) == (None, None)


async def test_hours_count_from_the_start_given(gateway: RunningGateway) -> None:
    org = await make_org(gateway.runtime.sessions)
    await log(
        gateway,
        (org.id, timedelta(0), 1, "ok"),
        (org.id, timedelta(minutes=59, seconds=59), 1, "error"),
        (org.id, timedelta(hours=1), 1, "ok"),
        (org.id, timedelta(hours=3), 1, "ok"),  # the end is excluded
        (org.id, -timedelta(seconds=1), 1, "ok"),  # before the start
    )
    # A start at 10:30 UTC is a whole hour in a UTC+5:30 time zone: buckets follow it.
    hours = (await data(gateway, HOURLY, T0, T0 + timedelta(hours=3)))["hourlySpend"]
    assert [(h["label"], Decimal(h["cost"]), h["requests"], h["promptTokens"]) for h in hours] == [
        ("2026-03-10T10:30:00Z", Decimal("1"), 2, 20),
        ("2026-03-10T11:30:00Z", Decimal("0.5"), 1, 10),
        ("2026-03-10T12:30:00Z", Decimal("0"), 0, 0),
    ]
    # The same instants written with an offset mean the same hours.
    shifted = await gql(
        gateway, HOURLY, {"s": "2026-03-10T16:00:00+05:30", "e": "2026-03-10T19:00:00+05:30"}
    )
    assert shifted["data"]["hourlySpend"] == hours


BREAKDOWN = """query($s: DateTime!, $e: DateTime!, $by: SpendDimension!) {
  requestBreakdown(start: $s, end: $e, by: $by) { label name cost requests } }"""


async def test_breakdowns_between_instants_with_names(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    acme = await make_org(sessions, name="Acme Corporation", slug="acme")
    globex = await make_org(sessions, name="Globex", slug="globex")
    await log(
        gateway,
        (acme.id, timedelta(minutes=1), 1, "ok"),
        (acme.id, timedelta(minutes=2), 1, "error"),
        (globex.id, timedelta(minutes=3), 1, "ok"),
        (globex.id, timedelta(hours=2), 1, "ok"),  # after the window
    )
    variables = {"s": iso(T0), "e": iso(T0 + timedelta(hours=1)), "by": "ORG"}
    body = await gql(gateway, BREAKDOWN, variables)
    rows = body["data"]["requestBreakdown"]
    assert [(r["label"], r["name"], r["requests"]) for r in rows] == [
        (acme.id, "Acme Corporation", 2),
        (globex.id, "Globex", 1),
    ]
    _, member = await signed_in(gateway, orgs={globex.id: OrgRole.ORG_MEMBER})
    mine = await gql(gateway, BREAKDOWN, {**variables, "by": "MODEL"}, headers=member)
    assert mine["data"]["requestBreakdown"] == [
        {
            "label": "demo",
            "name": None,
            "cost": mine["data"]["requestBreakdown"][0]["cost"],
            "requests": 1,
        }
    ]


@pytest.mark.parametrize(
    ("query", "hours"),
    [(STATS, 0), (HOURLY, 0), (HOURLY, -1), (HOURLY, 169), (STATS, 367 * 24)],
)
async def test_windows_are_bounded(gateway: RunningGateway, query: str, hours: int) -> None:
    body = await gql(gateway, query, {"s": iso(T0), "e": iso(T0 + timedelta(hours=hours))})
    assert codes(body) == ["BAD_USER_INPUT"] and body["data"] is None


@pytest.mark.parametrize("query", [STATS, HOURLY, BREAKDOWN])
async def test_anonymous_callers_are_refused(gateway: RunningGateway, query: str) -> None:
    variables = {"s": iso(T0), "e": iso(T0 + timedelta(hours=1)), "by": "MODEL"}
    body = await gql(gateway, query, variables, None)
    assert codes(body) == ["UNAUTHENTICATED"]
