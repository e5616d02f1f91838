"""Redis stopped under a running gateway: calls that limits apply to are refused with a 503
naming the cause (or served uncounted where configured open), answers already accepted are
neither refused nor lost, no traceback per call, and service resumes without a restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from sqlmodel import select

from app.keys.spec import KeySpec
from app.spend.models import SpendLog
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql
from tests.support.redis_server import RedisServer, redis_server_binary

pytestmark = pytest.mark.skipif(redis_server_binary() is None, reason="needs redis-server")

HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path, durable=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def config(fake: FakeOpenAI, **outage: str) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "chat",
                "deltallm_params": {
                    "model": "openai/chat",
                    "api_base": fake.base_url,
                    "input_cost_per_token": "0.000001",
                    "output_cost_per_token": "0.000002",
                },
            }
        ],
        "router_settings": {"num_retries": 0},
        "general_settings": {"proxy_batch_write_at": 0.1, "redis_unavailable": outage},
    }


@pytest.fixture
async def outage_gateway(
    request: pytest.FixtureRequest, fake_openai: FakeOpenAI, redis_server: RedisServer
) -> AsyncIterator[RunningGateway]:
    outage = getattr(request, "param", {})
    async with running_gateway(
        config(fake_openai, **outage), {"REDIS_URL": redis_server.url}
    ) as gw:
        yield gw


async def ask(gw: RunningGateway, secret: str) -> str:
    async with gw.client(secret) as client:
        reply = await client.chat.completions.create(model="chat", messages=HI, max_tokens=5)
    return reply.choices[0].message.content or ""


async def logged(gw: RunningGateway) -> set[str]:
    """Request ids of the successful calls written to the request log."""
    await gw.runtime.gateway.settler.drain()
    async with gw.runtime.sessions() as session:
        rows = await session.exec(select(SpendLog.request_id).where(SpendLog.status == "ok"))
        return set(rows.all())


async def until(check: Any, timeout: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await check()
        except (openai.APIError, AssertionError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_limited_calls_get_a_503_naming_redis_and_service_resumes(
    outage_gateway: RunningGateway, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    gw = outage_gateway
    limited = await gw.runtime.keys.create(KeySpec(rpm_limit=100, max_budget=Decimal("5")))
    assert await ask(gw, limited.secret) == "Hello there!"

    redis_server.stop()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            with pytest.raises(openai.InternalServerError) as caught:
                await ask(gw, limited.secret)
            assert caught.value.status_code == 503
            assert caught.value.code == "limits_unavailable"
            assert "Redis" in caught.value.message
            assert caught.value.response.headers["retry-after"] == "1"
        # The master key has no limits to count: it is served, and its call is recorded.
        assert await ask(gw, gw.master_key) == "Hello there!"
        # Every instance shares Redis: readiness stays 200 so none leaves the load balancer.
        async with httpx.AsyncClient(base_url=gw.root) as http:
            ready = await http.get("/health/readiness")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["redis"].startswith("error: ")
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]
    warnings = [r for r in caplog.records if r.name == "deltallm.limits"]
    assert 1 <= len(warnings) <= 2  # once per interval, not once per call

    redis_server.start()
    assert await until(lambda: ask(gw, limited.secret)) == "Hello there!"
    await until(lambda: _recorded(gw, 3))


async def _recorded(gw: RunningGateway, expected: int) -> None:
    assert len(await logged(gw)) == expected


async def test_an_answer_in_flight_when_redis_stops_is_delivered_and_recorded(
    outage_gateway: RunningGateway, redis_server: RedisServer, fake_openai: FakeOpenAI
) -> None:
    gw = outage_gateway
    limited = await gw.runtime.keys.create(KeySpec(rpm_limit=100, max_budget=Decimal("5")))
    fake_openai.hold = asyncio.Event()
    call = asyncio.create_task(ask(gw, limited.secret))
    await until(lambda: _asked(fake_openai))
    redis_server.stop()
    fake_openai.hold.set()
    assert await call == "Hello there!"  # settled without Redis: not refused after the fact
    await until(lambda: _recorded(gw, 1))  # written to the database directly
    assert gw.runtime.spend_queue.held == 0  # type: ignore[attr-defined]


async def _asked(fake: FakeOpenAI) -> None:
    assert len(fake.requests) == 1


@pytest.mark.parametrize("outage_gateway", [{"rate_limits": "open"}], indirect=True)
async def test_rate_limits_set_open_serve_uncounted_while_budgets_stay_closed(
    outage_gateway: RunningGateway, redis_server: RedisServer
) -> None:
    gw = outage_gateway
    rate_only = await gw.runtime.keys.create(KeySpec(rpm_limit=1))
    with_budget = await gw.runtime.keys.create(KeySpec(rpm_limit=100, max_budget=Decimal("5")))
    redis_server.stop()
    # RPM 1, yet three calls pass: the limit is not counted while Redis is away.
    for _ in range(3):
        assert await ask(gw, rate_only.secret) == "Hello there!"
    with pytest.raises(openai.InternalServerError) as caught:
        await ask(gw, with_budget.secret)
    assert caught.value.code == "limits_unavailable"
    assert "Budgets" in caught.value.message
    await until(lambda: _recorded(gw, 3))  # the uncounted calls are still in the request log


async def test_the_admin_api_says_unavailable_when_it_cannot_read_the_counters(
    outage_gateway: RunningGateway, redis_server: RedisServer
) -> None:
    gw = outage_gateway
    limited = await gw.runtime.keys.create(KeySpec(rpm_limit=10))
    query = "query($k: ID!) { keyAdmission(keyId: $k) { levels { rpm { used } } } }"
    answer = await gql(gw, query, {"k": limited.key.id})
    assert answer["data"]["keyAdmission"]["levels"][0]["rpm"]["used"] == 0
    redis_server.stop()
    answer = await gql(gw, query, {"k": limited.key.id})
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert error["extensions"]["reason"] == "limits_unavailable"
    assert "Redis" in error["message"]


async def test_a_flapping_redis_loses_nothing_accepted_and_needs_no_restart(
    outage_gateway: RunningGateway, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    gw = outage_gateway
    limited = await gw.runtime.keys.create(KeySpec(rpm_limit=1000, max_budget=Decimal("5")))
    served = 0
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert await until(lambda: ask(gw, limited.secret)) == "Hello there!"
            assert await ask(gw, limited.secret) == "Hello there!"
            served += 2
            redis_server.stop()
            with pytest.raises(openai.InternalServerError) as caught:
                await ask(gw, limited.secret)
            assert caught.value.code == "limits_unavailable"
            assert await ask(gw, gw.master_key) == "Hello there!"  # recorded while Redis is down
            served += 1
            redis_server.start()
    assert await until(lambda: ask(gw, limited.secret)) == "Hello there!"
    served += 1
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]
    await until(lambda: _recorded(gw, served))
