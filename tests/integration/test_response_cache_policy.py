"""Who gets a cached answer, who may steer the cache, and what a hit costs: entries are
scoped per organization, per-request controls need the key's permission, hits are free
against budgets by default and logged with cache_hit, a Redis that is down never fails a
request, and platform admins (only) flush the cache."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import openai
import pytest
from sqlmodel import select

from app.keys.spec import KeySpec
from app.spend.models import SpendLog
from tests.support.cache import cache_config
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql, signed_in
from tests.support.tenancy import make_org, make_team

pytestmark = pytest.mark.timeout(60)
HI = [{"role": "user", "content": "Hi"}]
FLUSH = "mutation { flushCache { deleted errors { code message } } }"


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(cache_config(fake_openai)) as gw:
        yield gw


def calls(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.path.endswith("/chat/completions"))


async def ask(gw: RunningGateway, secret: str | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("messages", HI)
    async with gw.client(secret) as client:
        return await client.chat.completions.with_raw_response.create(model="gpt-c", **kwargs)


async def key_in_new_org(gw: RunningGateway, **spec: Any) -> str:
    org = await make_org(gw.runtime.sessions)
    team = await make_team(gw.runtime.sessions, org)
    return (await gw.runtime.keys.create(KeySpec(team_id=team.id, **spec))).secret


async def test_tenants_never_share_an_answer(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    one, two = await key_in_new_org(gateway), await key_in_new_org(gateway)
    assert (await ask(gateway, one)).headers["x-deltallm-cache"] == "miss"
    assert (await ask(gateway, two)).headers["x-deltallm-cache"] == "miss"
    assert (await ask(gateway)).headers["x-deltallm-cache"] == "miss"  # the master key's own
    assert calls(fake_openai) == 3
    assert (await ask(gateway, two)).headers["x-deltallm-cache"] == "hit"
    # Keys of one organization share its entries (scope: org).
    team = (await gateway.runtime.keys.create(KeySpec())).key
    assert team.org_id is None
    org = await make_org(gateway.runtime.sessions)
    teams = [await make_team(gateway.runtime.sessions, org) for _ in range(2)]
    first, second = [
        (await gateway.runtime.keys.create(KeySpec(team_id=t.id))).secret for t in teams
    ]
    await ask(gateway, first, messages=[{"role": "user", "content": "Shared?"}])
    shared = await ask(gateway, second, messages=[{"role": "user", "content": "Shared?"}])
    assert shared.headers["x-deltallm-cache"] == "hit"


async def test_per_request_controls_need_the_keys_permission(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    plain = await key_in_new_org(gateway)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        await ask(gateway, plain, extra_body={"cache": {"no-cache": True}})
    assert caught.value.code == "cache_control_not_allowed"
    with pytest.raises(openai.BadRequestError) as bad:
        await ask(gateway, plain, extra_body={"cache": {"ttl": "soon"}})
    assert bad.value.param == "cache"
    assert calls(fake_openai) == 0
    # A header directive the key may not use is ignored (browsers and proxies add them).
    await ask(gateway, plain, extra_headers={"Cache-Control": "no-store"})
    ignored = await ask(gateway, plain, extra_headers={"Cache-Control": "no-cache"})
    assert ignored.headers["x-deltallm-cache"] == "hit"
    assert calls(fake_openai) == 1
    allowed = await key_in_new_org(gateway, allowed_cache_controls=["no-cache", "no-store"])
    await ask(gateway, allowed, extra_body={"cache": {"no-store": True}})
    assert (await ask(gateway, allowed)).headers["x-deltallm-cache"] == "miss"  # not stored
    assert (await ask(gateway, allowed)).headers["x-deltallm-cache"] == "hit"
    fresh = await ask(gateway, allowed, extra_headers={"Cache-Control": "no-cache"})
    assert fresh.headers["x-deltallm-cache"] == "miss"  # read skipped, answer stored again
    assert calls(fake_openai) == 4
    for record in fake_openai.requests:
        assert "cache" not in record.body  # never sent upstream


async def test_default_off_caches_only_requests_that_opt_in(fake_openai: FakeOpenAI) -> None:
    async with running_gateway(cache_config(fake_openai, mode="default_off")) as gateway:
        await ask(gateway)
        assert "x-deltallm-cache" not in (await ask(gateway)).headers
        opt_in = {"extra_body": {"cache": {"use-cache": True}}}
        assert (await ask(gateway, **opt_in)).headers["x-deltallm-cache"] == "miss"
        assert (await ask(gateway, **opt_in)).headers["x-deltallm-cache"] == "hit"
        assert calls(fake_openai) == 3


async def spend_rows(gw: RunningGateway) -> list[SpendLog]:
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    async with gw.runtime.sessions() as session:
        rows = (await session.exec(select(SpendLog).order_by(SpendLog.started_at))).all()
    return list(rows)


async def test_a_hit_is_free_settles_its_reservation_and_is_logged(
    gateway: RunningGateway,
) -> None:
    created = await gateway.runtime.keys.create(KeySpec(max_budget=Decimal("1")))
    await ask(gateway, created.secret, max_tokens=10)
    hit = await ask(gateway, created.secret, max_tokens=10)
    assert hit.headers["x-deltallm-cache"] == "hit"
    async with gateway.client(created.secret) as client:
        stream = await client.chat.completions.create(
            model="gpt-c", messages=HI, max_tokens=10, stream=True
        )
        assert "".join([c.choices[0].delta.content or "" async for c in stream]) == "Hello there!"
    rows = await spend_rows(gateway)
    assert [r.cache_hit for r in rows] == [False, True, True]
    assert rows[0].cost == Decimal("0.012") and rows[1].cost == rows[2].cost == 0
    assert rows[1].status == rows[2].status == "ok" and rows[1].completion_tokens == 3
    logs = await gql(gateway, "{ requestLogs(first: 5) { edges { node { cacheHit cost } } } }")
    nodes = [e["node"] for e in logs["data"]["requestLogs"]["edges"]]
    assert sorted(n["cacheHit"] for n in nodes) == [False, True, True]
    identity = await gateway.runtime.gateway.authenticator.authenticate(created.secret)
    assert identity.identity is not None
    budget_scope = identity.identity.levels[0].scope
    spent = await gateway.runtime.gateway.admitter.counters.spent(budget_scope, None)
    assert spent == Decimal("0.012")  # the hit's reservation was released, nothing charged


async def test_charge_hits_makes_hits_cost_what_the_answer_cost(fake_openai: FakeOpenAI) -> None:
    async with running_gateway(cache_config(fake_openai, charge_hits=True)) as gateway:
        await ask(gateway)
        await ask(gateway)
        rows = await spend_rows(gateway)
    assert [(r.cache_hit, r.cost) for r in rows] == [
        (False, Decimal("0.012")),
        (True, Decimal("0.012")),
    ]


async def test_an_unreachable_redis_never_fails_a_request(fake_openai: FakeOpenAI) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    config = cache_config(fake_openai, "redis", url=f"redis://127.0.0.1:{port}/0")
    async with running_gateway(config) as gateway:
        for _ in range(2):
            answer = await ask(gateway)
            assert answer.parse().choices[0].message.content == "Hello there!"
        async with gateway.client() as client:
            chunks = [
                c
                async for c in await client.chat.completions.create(
                    model="gpt-c", messages=HI, stream=True
                )
            ]
        assert chunks[-1].choices[0].finish_reason == "stop"
        assert calls(fake_openai) == 3
        metrics = gateway.runtime.metrics.render().decode()
        assert (
            'deltallm_cache_errors_total{backend="redis",call_type="chat_completions"}' in metrics
        )


async def test_an_unreachable_s3_never_fails_a_request(fake_openai: FakeOpenAI) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s3 = {
        "s3_bucket_name": "answers",
        "s3_endpoint_url": f"http://127.0.0.1:{port}",
        "s3_aws_access_key_id": "testing",
        "s3_aws_secret_access_key": "testing",
    }
    async with running_gateway(cache_config(fake_openai, "s3", **s3)) as gateway:
        for _ in range(2):
            assert (await ask(gateway)).parse().choices[0].message.content == "Hello there!"
        flushed = await gql(gateway, FLUSH)
        assert flushed["data"]["flushCache"]["errors"][0]["code"] == "cache_unavailable"
    assert calls(fake_openai) == 2


async def test_platform_admins_flush_the_cache(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    await ask(gateway)
    assert (await ask(gateway)).headers["x-deltallm-cache"] == "hit"
    _, headers = await signed_in(gateway)
    denied = await gql(gateway, FLUSH, headers=headers)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await ask(gateway)).headers["x-deltallm-cache"] == "hit"
    flushed = await gql(gateway, FLUSH)
    assert flushed["data"]["flushCache"] == {"deleted": 1, "errors": []}
    assert (await ask(gateway)).headers["x-deltallm-cache"] == "miss"
    assert calls(fake_openai) == 2
    audit = await gql(gateway, "{ auditLog(first: 5) { edges { node { action } } } }")
    actions = [e["node"]["action"] for e in audit["data"]["auditLog"]["edges"]]
    assert "settings.cache.flush" in actions
