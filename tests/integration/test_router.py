"""Routing against real upstreams on loopback: strategies, retries, cooldowns, fallbacks."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from app.config import GatewayConfig
from app.errors import (
    BadRequestError,
    ContextWindowExceededError,
    NotFoundError,
    RateLimitError,
    UpstreamError,
    UpstreamTimeoutError,
)
from app.limits.memory import MemoryCounterStore
from app.limits.redis_store import RedisCounterStore
from app.providers.base import Operation
from app.router.router import Router
from tests.support.fake_openai import FakeOpenAI

CHAT = {"messages": [{"role": "user", "content": "Hi"}]}


class FakeTime:
    """An injectable clock and sleep: cooldowns and backoff without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def fakes() -> AsyncIterator[list[FakeOpenAI]]:
    servers = [await FakeOpenAI(reply=f"from {i}", name=str(i)).start() for i in range(3)]
    try:
        yield servers
    finally:
        for server in servers:
            await server.stop()


def deployment(name: str, fake: FakeOpenAI, **params: Any) -> dict[str, Any]:
    return {
        "model_name": name,
        "deltallm_params": {"model": f"openai/{fake.name}", "api_base": fake.base_url, **params},
        "model_info": {"id": f"{name}-{fake.name}"},
    }


@pytest.fixture
async def make_router() -> AsyncIterator[Any]:
    routers: list[Router] = []

    def build(
        model_list: list[dict[str, Any]], time: FakeTime | None = None, seed: int = 7, **rs: Any
    ) -> Router:
        config = GatewayConfig.model_validate({"model_list": model_list, "router_settings": rs})
        time = time or FakeTime()
        router = Router(config, rng=random.Random(seed), clock=time.clock, sleep=time.sleep)
        routers.append(router)
        return router

    yield build
    for router in routers:
        await router.aclose()


async def answer(router: Router, model: str = "g") -> str:
    routed = await router.call(model, Operation.CHAT, {"model": model, **CHAT})
    text: str = __import__("json").loads(routed.result.content)["choices"][0]["message"]["content"]
    return text


async def test_retry_then_success(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    time = FakeTime()
    router = make_router([deployment("g", fakes[0])], time, num_retries=2)
    fakes[0].fail_next(500)
    assert await answer(router) == "from 0"
    assert len(fakes[0].requests) == 2
    assert time.slept and time.slept[0] > 0  # same deployment: back off before retrying


async def test_retry_after_is_honoured(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    time = FakeTime()
    router = make_router([deployment("g", fakes[0])], time, num_retries=1, cooldown_time=0)
    fakes[0].fail_next(429, "slow down", headers={"retry-after": "3"})
    assert await answer(router) == "from 0"
    assert time.slept == [3.0]


async def test_retry_moves_to_another_deployment_without_waiting(
    make_router: Any, fakes: list[FakeOpenAI]
) -> None:
    time = FakeTime()
    router = make_router(
        [deployment("g", fakes[0]), deployment("g", fakes[1])],
        time,
        routing_strategy="round-robin",
        num_retries=1,
    )
    fakes[0].fail_next(503)
    assert await answer(router) == "from 1"
    assert time.slept == []


async def test_retries_exhausted_raise_the_upstream_error(
    make_router: Any, fakes: list[FakeOpenAI]
) -> None:
    router = make_router([deployment("g", fakes[0])], num_retries=2)
    for _ in range(3):
        fakes[0].fail_next(500)
    with pytest.raises(UpstreamError) as caught:
        await answer(router)
    assert caught.value.status_code == 502
    assert len(fakes[0].requests) == 3


async def test_client_errors_are_not_retried(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router([deployment("g", fakes[0])], num_retries=3)
    fakes[0].fail_next(400, "bad thing")
    with pytest.raises(BadRequestError):
        await answer(router)
    assert len(fakes[0].requests) == 1


async def test_cooldown_after_allowed_fails(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    time = FakeTime()
    router = make_router(
        [deployment("g", fakes[0]), deployment("g", fakes[1])],
        time,
        routing_strategy="round-robin",
        num_retries=0,
        allowed_fails=2,
        cooldown_time=30,
    )
    sick = router.deployments[0]
    fakes[0].fail_next(500)
    fakes[0].fail_next(500)
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(await answer(router))
        except UpstreamError:
            outcomes.append("error")
    assert outcomes == ["error", "from 1", "error", "from 1"]
    assert sick.cooling_down()
    before = len(fakes[0].requests)
    assert [await answer(router) for _ in range(4)] == ["from 1"] * 4
    assert len(fakes[0].requests) == before  # skipped while cooling down
    time.now += 31
    assert not sick.cooling_down()
    assert "from 0" in [await answer(router) for _ in range(2)]


async def test_fallbacks_to_another_group(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router(
        [deployment("primary", fakes[0]), deployment("backup", fakes[1])],
        num_retries=0,
        fallbacks=[{"primary": ["backup"]}],
    )
    fakes[0].fail_next(500)
    assert await answer(router, "primary") == "from 1"


async def test_default_fallbacks_star(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router(
        [deployment("primary", fakes[0]), deployment("backup", fakes[1])],
        num_retries=0,
        fallbacks=[{"*": ["backup"]}],
    )
    fakes[0].fail_next(503)
    assert await answer(router, "primary") == "from 1"


async def test_context_window_fallbacks(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router(
        [deployment("small", fakes[0]), deployment("large", fakes[1])],
        context_window_fallbacks=[{"small": ["large"]}],
    )
    fakes[0].fail_next(
        400, "This model's maximum context length is 8192 tokens", code="context_length_exceeded"
    )
    assert await answer(router, "small") == "from 1"
    fakes[0].fail_next(400, "This model's maximum context length is 8192 tokens")
    with pytest.raises(ContextWindowExceededError):
        await answer(make_router([deployment("small", fakes[0])]), "small")


async def test_content_policy_fallbacks(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router(
        [deployment("strict", fakes[0]), deployment("lenient", fakes[1])],
        content_policy_fallbacks=[{"strict": ["lenient"]}],
    )
    fakes[0].fail_next(400, "flagged", code="content_policy_violation")
    assert await answer(router, "strict") == "from 1"


async def test_timeout(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    fakes[0].delay = 1.0
    router = make_router([deployment("g", fakes[0], timeout=0.2)], num_retries=0)
    with pytest.raises(UpstreamTimeoutError):
        await answer(router)


async def test_simple_shuffle_follows_weights(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router([deployment("g", fakes[0], weight=9), deployment("g", fakes[1], weight=1)])
    counts = Counter([await answer(router) for _ in range(60)])
    assert counts["from 0"] > 40 and counts["from 1"] >= 1


async def test_round_robin_alternates(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router([deployment("g", f) for f in fakes], routing_strategy="round-robin")
    assert [await answer(router) for _ in range(6)] == ["from 0", "from 1", "from 2"] * 2


async def test_least_busy_avoids_the_busy_deployment(
    make_router: Any, fakes: list[FakeOpenAI]
) -> None:
    router = make_router(
        [deployment("g", fakes[0]), deployment("g", fakes[1])], routing_strategy="least-busy"
    )
    fakes[0].delay = fakes[1].delay = 0.3
    slow = asyncio.create_task(router.call("g", Operation.CHAT, {"model": "g", **CHAT}))
    await asyncio.sleep(0.05)
    busy = next(d for d in router.deployments if d.in_flight == 1)
    idle_reply = await answer(router)
    assert idle_reply != f"from {busy.params.upstream_model}"
    busy_result = await slow
    assert busy_result.deployment is busy


async def test_latency_based_prefers_the_faster(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router(
        [deployment("g", fakes[0]), deployment("g", fakes[1])],
        routing_strategy="latency-based-routing",
    )
    fakes[0].delay = 0.15
    first_two = {await answer(router), await answer(router)}
    assert first_two == {"from 0", "from 1"}  # each is tried once
    assert [await answer(router) for _ in range(5)] == ["from 1"] * 5


async def test_cost_based_prefers_the_cheapest(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router(
        [
            deployment("g", fakes[0], input_cost_per_token=0.00001, output_cost_per_token=0.00003),
            deployment(
                "g", fakes[1], input_cost_per_token=0.000001, output_cost_per_token=0.000002
            ),
        ],
        routing_strategy="cost-based-routing",
    )
    assert [await answer(router) for _ in range(4)] == ["from 1"] * 4


async def test_usage_based_respects_rpm(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router(
        [deployment("g", fakes[0], rpm=2), deployment("g", fakes[1], rpm=2)],
        routing_strategy="usage-based-routing",
    )
    replies = Counter([await answer(router) for _ in range(4)])
    assert replies == {"from 0": 2, "from 1": 2}
    with pytest.raises(RateLimitError):
        await answer(router)


async def test_max_parallel_requests_per_deployment(
    make_router: Any, fakes: list[FakeOpenAI]
) -> None:
    router = make_router([deployment("g", fakes[0], max_parallel_requests=1)])
    fakes[0].delay = 0.3
    first = asyncio.create_task(router.call("g", Operation.CHAT, {"model": "g", **CHAT}))
    await asyncio.sleep(0.05)
    with pytest.raises(RateLimitError):
        await answer(router)
    await first


async def test_aliases_and_wildcards(make_router: Any, fakes: list[FakeOpenAI]) -> None:
    router = make_router(
        [
            deployment("g", fakes[0]),
            {
                "model_name": "openai/*",
                "deltallm_params": {"model": "openai/*", "api_base": fakes[1].base_url},
            },
        ],
        model_group_alias={"friendly": "g"},
    )
    assert await answer(router, "friendly") == "from 0"
    assert await answer(router, "openai/gpt-4o-mini") == "from 1"
    assert fakes[1].requests[-1].body["model"] == "gpt-4o-mini"
    assert router.model_names() == ["g", "friendly"]
    with pytest.raises(NotFoundError):
        router.resolve("anthropic/claude")


@pytest.fixture(params=["memory", "redis"])
async def shared_counters(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """What two routers (two instances) share: one counter store."""
    if request.param == "memory":
        yield MemoryCounterStore()
        return
    url = os.environ.get("DELTALLM_TEST_REDIS_URL")
    if not url:
        pytest.skip("DELTALLM_TEST_REDIS_URL is not set")
    client = aioredis.Redis.from_url(url)
    prefix = f"test:{uuid.uuid4().hex}:"
    try:
        yield RedisCounterStore(client, prefix=prefix)
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_deployment_limits_hold_across_instances(
    fakes: list[FakeOpenAI], shared_counters: Any
) -> None:
    model_list = [deployment("g", fakes[0], rpm=2), deployment("g", fakes[1], rpm=1)]
    config = GatewayConfig.model_validate({"model_list": model_list})
    routers = [Router(config, counters=shared_counters) for _ in range(2)]
    try:
        replies = Counter([await answer(routers[i % 2]) for i in range(3)])
        assert replies == {"from 0": 2, "from 1": 1}
        with pytest.raises(RateLimitError):
            await answer(routers[1])
    finally:
        for router in routers:
            await router.aclose()
