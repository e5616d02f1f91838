"""The keys list over POST /graphql: filters by organization and status, sorted by
creation, spend or expiry either way, with Relay cursors that hold under each order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.db.types import utcnow
from app.keys.models import VirtualKey
from app.keys.spec import KeySpec
from app.users.models import OrgRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, new_team, signed_in

KEYS = """query($f: Int! = 100, $a: String, $o: ID, $s: KeyStatus, $by: KeySort! = CREATED,
  $d: SortDirection! = ASC, $q: String, $r: Boolean! = false) {
  keys(first: $f, after: $a, orgId: $o, status: $s, sort: $by, direction: $d, search: $q,
    includeRevoked: $r) {
    pageInfo { hasNextPage endCursor } edges { node { id alias status spend expiresAt } } } }"""
DAY = timedelta(days=1)


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


async def make_key(gw: RunningGateway, alias: str, team_id: str, **state: Any) -> VirtualKey:
    key = (await gw.runtime.keys.create(KeySpec(alias=alias, team_id=team_id))).key
    async with gw.runtime.sessions() as session, session.begin():
        row = await session.get(VirtualKey, key.id)
        assert row is not None
        for name, value in state.items():
            setattr(row, name, value)
    async with gw.runtime.sessions() as session:
        stored = await session.get(VirtualKey, key.id)
    assert stored is not None
    return stored


async def world(gw: RunningGateway) -> tuple[str, str, dict[str, VirtualKey]]:
    org_a, org_b = await new_org(gw, "A"), await new_org(gw, "B")
    team_a, team_b = await new_team(gw, org_a), await new_team(gw, org_b)
    now = utcnow()
    # Spends repeat, so ties are broken by id; two keys never expire.
    specs: dict[str, tuple[str, dict[str, Any]]] = {
        "a-active": (team_a, {"spend": Decimal("2.5"), "expires_at": now + 5 * DAY}),
        "a-forever": (team_a, {"spend": Decimal("0.1")}),
        "a-blocked": (team_a, {"spend": Decimal("2.5"), "blocked": True}),
        "a-expired": (team_a, {"spend": Decimal("7"), "expires_at": now - DAY}),
        "a-revoked": (team_a, {"spend": Decimal("0.1"), "revoked_at": now - DAY}),
        "a-soon": (team_a, {"spend": Decimal("2.5"), "expires_at": now + DAY}),
        "b-active": (team_b, {"spend": Decimal("1"), "expires_at": now + 3 * DAY}),
        "b-forever": (team_b, {"spend": Decimal("0")}),
    }
    keys = {
        alias: await make_key(gw, alias, team, **state) for alias, (team, state) in specs.items()
    }
    return org_a, org_b, keys


async def listed(gw: RunningGateway, headers: dict[str, str] | None = None, **v: Any) -> list[str]:
    """Every page of the list, ``f`` at a time, as aliases in the order given."""
    aliases: list[str] = []
    after = None
    while True:
        body = await gql(gw, KEYS, {**v, "a": after}, headers=headers)
        assert "errors" not in body, body
        page = body["data"]["keys"]
        aliases += [e["node"]["alias"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return aliases
        after = page["pageInfo"]["endCursor"]


def ordered(keys: dict[str, VirtualKey], value: Any, descending: bool) -> list[str]:
    """Aliases by (value, id), the way the list must come back."""
    rows = sorted(keys.values(), key=lambda k: (value(k), k.id), reverse=descending)
    return [k.alias or "" for k in rows]


async def test_status_and_organization_filters(gateway: RunningGateway) -> None:
    org_a, org_b, _ = await world(gateway)
    by_status = {
        status: sorted(await listed(gateway, s=status))
        for status in ("ACTIVE", "BLOCKED", "EXPIRED", "REVOKED")
    }
    assert by_status == {
        "ACTIVE": ["a-active", "a-forever", "a-soon", "b-active", "b-forever"],
        "BLOCKED": ["a-blocked"],
        "EXPIRED": ["a-expired"],
        "REVOKED": ["a-revoked"],
    }
    body = await gql(gateway, KEYS, {"o": org_a, "r": True})
    statuses = {e["node"]["alias"]: e["node"]["status"] for e in body["data"]["keys"]["edges"]}
    assert statuses == {
        "a-active": "ACTIVE",
        "a-forever": "ACTIVE",
        "a-blocked": "BLOCKED",
        "a-expired": "EXPIRED",
        "a-revoked": "REVOKED",
        "a-soon": "ACTIVE",
    }
    assert sorted(await listed(gateway, o=org_b, s="ACTIVE")) == ["b-active", "b-forever"]
    _, member = await signed_in(gateway, orgs={org_a: OrgRole.ORG_MEMBER})
    assert await listed(gateway, member, o=org_b) == []  # the filter never widens the scope
    assert sorted(await listed(gateway, member, s="ACTIVE")) == ["a-active", "a-forever", "a-soon"]


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("page", [1, 2, 3, 100])
async def test_every_order_pages_through_every_key_once(
    gateway: RunningGateway, descending: bool, page: int
) -> None:
    _, _, keys = await world(gateway)
    live = {alias: key for alias, key in keys.items() if key.revoked_at is None}
    never = datetime.max.replace(tzinfo=utcnow().tzinfo)  # no expiry sorts after every date
    direction = "DESC" if descending else "ASC"
    expected = {
        "CREATED": ordered(live, lambda k: k.created_at, descending),
        "SPEND": ordered(live, lambda k: k.spend, descending),
        "EXPIRY": ordered(live, lambda k: k.expires_at or never, descending),
    }
    for sort, aliases in expected.items():
        assert await listed(gateway, f=page, by=sort, d=direction) == aliases, sort
    assert expected["SPEND"][0 if descending else -1] == "a-expired"
    assert expected["EXPIRY"][0 if descending else -1] in ("a-forever", "a-blocked", "b-forever")


async def test_a_cursor_belongs_to_its_order(gateway: RunningGateway) -> None:
    await world(gateway)
    by_spend = await gql(gateway, KEYS, {"f": 1, "by": "SPEND"})
    cursor = by_spend["data"]["keys"]["pageInfo"]["endCursor"]
    wrong = await gql(gateway, KEYS, {"f": 1, "a": cursor, "by": "CREATED"})
    assert codes(wrong) == ["BAD_USER_INPUT"]
    by_expiry = await gql(gateway, KEYS, {"f": 1, "by": "EXPIRY", "d": "DESC"})
    never = by_expiry["data"]["keys"]["pageInfo"]["endCursor"]  # a key without expiry
    assert by_expiry["data"]["keys"]["edges"][0]["node"]["expiresAt"] is None
    assert codes(await gql(gateway, KEYS, {"a": never, "by": "SPEND"})) == ["BAD_USER_INPUT"]
    assert codes(await gql(gateway, KEYS, {"a": "not-a-cursor"})) == ["BAD_USER_INPUT"]


async def test_search_matches_the_alias_or_the_start_of_the_key(gateway: RunningGateway) -> None:
    team = await new_team(gateway, await new_org(gateway))
    created = await gateway.runtime.keys.create(KeySpec(alias="billing-bot", team_id=team))
    await gateway.runtime.keys.create(KeySpec(alias="other", team_id=team))
    assert await listed(gateway, q="BILLING") == ["billing-bot"]
    assert await listed(gateway, q=created.secret[:7]) == ["billing-bot"]
    assert await listed(gateway, q="%") == []
