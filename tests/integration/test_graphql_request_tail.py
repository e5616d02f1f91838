"""requestLogTail over POST /graphql: polling the request log as it is written, filtered
and scoped like requestLogs, without skipping rows that are written late."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from app.db.types import utcnow
from app.keys.spec import KeySpec
from app.spend.models import SpendLog
from app.spend.records import SpendRecord
from app.spend.writer import SpendWriter
from app.users.models import OrgRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, new_team, signed_in

TAIL = """query($a: String, $f: Int! = 100, $k: ID) {
  requestLogTail(after: $a, first: $f, filter: {keyId: $k}) {
    cursor hasMore logs { requestId keyId orgId status startedAt } } }"""


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [{"model_name": "echo", "deltallm_params": {"model": "demo/echo"}}],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        gw.runtime.request_tail.settle = timedelta(0)
        yield gw


async def call(gw: RunningGateway, secret: str, times: int = 1) -> None:
    async with gw.client(secret) as client:
        for _ in range(times):
            await client.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "hi"}]
            )
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()


async def poll(
    gw: RunningGateway, headers: dict[str, str] | None = None, **v: Any
) -> dict[str, Any]:
    body = await gql(gw, TAIL, v, headers=headers)
    assert "errors" not in body, body
    tail: dict[str, Any] = body["data"]["requestLogTail"]
    return tail


async def logged(gw: RunningGateway) -> list[SpendLog]:
    async with gw.runtime.sessions() as session:
        return list((await session.exec(select(SpendLog))).all())


async def setup(gw: RunningGateway) -> tuple[str, str, str, str]:
    """Org A's key (two calls) and org B's key (one call): (org A, key A, secret A, key B)."""
    org_a, org_b = await new_org(gw, "A"), await new_org(gw, "B")
    team_a, team_b = await new_team(gw, org_a), await new_team(gw, org_b)
    key_a = await gw.runtime.keys.create(KeySpec(team_id=team_a))
    key_b = await gw.runtime.keys.create(KeySpec(team_id=team_b))
    await call(gw, key_a.secret, 2)
    await call(gw, key_b.secret)
    return org_a, key_a.key.id, key_a.secret, key_b.key.id


async def test_each_poll_returns_what_was_written_since(gateway: RunningGateway) -> None:
    org_a, key_a, secret_a, _ = await setup(gateway)
    rows = sorted(await logged(gateway), key=lambda r: (r.written_at, r.id))
    newest = await poll(gateway, f=2)
    assert [log["requestId"] for log in newest["logs"]] == [r.request_id for r in rows[-2:]]
    assert newest["hasMore"] is False
    quiet = await poll(gateway, a=newest["cursor"])
    assert quiet["logs"] == [] and quiet["hasMore"] is False

    await call(gateway, secret_a)
    (fresh,) = [
        r for r in await logged(gateway) if r.request_id not in {x.request_id for x in rows}
    ]
    after = await poll(gateway, a=quiet["cursor"])
    assert [log["requestId"] for log in after["logs"]] == [fresh.request_id]
    assert after["logs"][0]["keyId"] == key_a

    # A long request that started an hour ago, written only now: the tail still shows it.
    began = utcnow() - timedelta(hours=1)
    late = SpendRecord(
        request_id="late-request",
        model_group="echo",
        cost=Decimal(0),
        started_at=began,
        ended_at=began + timedelta(minutes=59),
        key_id=key_a,
        org_id=org_a,
    )
    await SpendWriter(gateway.runtime.sessions).write([late])
    caught_up = await poll(gateway, a=after["cursor"])
    assert [log["requestId"] for log in caught_up["logs"]] == ["late-request"]


async def test_a_full_poll_says_there_is_more(gateway: RunningGateway) -> None:
    _, _, secret_a, _ = await setup(gateway)
    start = await poll(gateway, f=1)
    assert len(start["logs"]) == 1
    await call(gateway, secret_a, 3)
    first = await poll(gateway, a=start["cursor"], f=2)
    assert len(first["logs"]) == 2 and first["hasMore"] is True
    rest = await poll(gateway, a=first["cursor"], f=2)
    assert len(rest["logs"]) == 1 and rest["hasMore"] is False
    seen = [log["requestId"] for log in first["logs"] + rest["logs"]]
    assert len(set(seen)) == 3


async def test_filtered_and_scoped_like_the_request_log(gateway: RunningGateway) -> None:
    org_a, key_a, _, key_b = await setup(gateway)
    only_a = await poll(gateway, k=key_a)
    assert {log["keyId"] for log in only_a["logs"]} == {key_a} and len(only_a["logs"]) == 2
    _, member = await signed_in(gateway, orgs={org_a: OrgRole.ORG_MEMBER})
    mine = await poll(gateway, member)
    assert {log["orgId"] for log in mine["logs"]} == {org_a} and len(mine["logs"]) == 2
    assert (await poll(gateway, member, k=key_b))["logs"] == []
    assert codes(await gql(gateway, TAIL, {"a": "nonsense"})) == ["BAD_USER_INPUT"]
    assert codes(await gql(gateway, TAIL, {"f": 0})) == ["BAD_USER_INPUT"]


async def test_rows_are_held_back_until_they_settle(gateway: RunningGateway) -> None:
    await setup(gateway)
    rows = await logged(gateway)
    last = max(r.written_at for r in rows if r.written_at is not None)
    tail = gateway.runtime.request_tail
    tail.settle = timedelta(seconds=2)
    tail.clock = lambda: last + timedelta(seconds=1)  # the newest batch is a second old
    horizon = last - timedelta(seconds=1)
    settled = {r.request_id for r in rows if r.written_at is not None and r.written_at < horizon}
    held = await poll(gateway)
    assert {log["requestId"] for log in held["logs"]} == settled
    tail.clock = lambda: last + timedelta(seconds=3)
    shown = await poll(gateway, a=held["cursor"])
    assert {log["requestId"] for log in shown["logs"]} == {r.request_id for r in rows} - settled
    assert shown["logs"]  # the newest batch at least was held back, and now shows
