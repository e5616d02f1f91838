"""``/metrics`` through a real gateway: exact counts by model group, deployment and status
(served, refused, failed upstream, refused before admission), histograms, tokens and spend,
bounded labels, opt-in key labels, and who may scrape."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import anthropic
import httpx
import openai
import pytest

from app.keys.service import KeySpec
from tests.support.fake_openai import Failure, FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.scrape import Scrape, scrape

HI = [{"role": "user", "content": "Hi"}]
PRICE = 9 * 0.000001 + 3 * 0.000002  # the fake's usage (9 prompt, 3 completion tokens)
METRICS_KEY = "sk-metrics-only-test"


def config(fake: FakeOpenAI, **metrics: Any) -> dict[str, Any]:
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
        "router_settings": {"num_retries": 0, "allowed_fails": 1, "cooldown_time": 30},
        "general_settings": {"metrics": metrics},
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(config(fake_openai, metrics_key=METRICS_KEY)) as gw:
        yield gw


async def settled(gw: RunningGateway, check: Callable[[Scrape], bool]) -> Scrape:
    """Scrape until ``check`` holds (refusals and failures settle in the background)."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        await gw.runtime.gateway.settler.drain()
        result = await scrape(gw.root, gw.master_key)
        if check(result) or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)


async def ask(gw: RunningGateway, key: str | None = None, model: str = "chat") -> None:
    async with gw.client(key) as client:
        await client.chat.completions.create(model=model, messages=HI, max_tokens=5)


async def fails(call: Awaitable[None], error: type[openai.APIStatusError]) -> int:
    with pytest.raises(error) as caught:
        await call
    return caught.value.status_code


async def test_counts_are_exact_by_group_deployment_and_status(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    gw = gateway
    for _ in range(3):
        await ask(gw)
    limited = await gw.runtime.keys.create(KeySpec(rpm_limit=1))
    await ask(gw, limited.secret)
    assert await fails(ask(gw, limited.secret), openai.RateLimitError) == 429
    fake_openai.failures.append(Failure(500, {"error": {"message": "boom"}}))
    upstream_status = await fails(ask(gw), openai.APIStatusError)
    assert await fails(ask(gw, "sk-not-a-key"), openai.AuthenticationError) == 401
    assert await fails(ask(gw, model="no-such-model-x7"), openai.NotFoundError) == 404

    m = await settled(
        gw,
        lambda s: (
            s.total("deltallm_requests_total", status="429") == 1
            and s.total("deltallm_requests_total", status=str(upstream_status)) == 1
        ),
    )
    requests = "deltallm_requests_total"
    assert m.value(requests, model_group="chat", deployment="chat-0", status="200") == 4
    assert m.value(requests, model_group="chat", deployment="none", status="429") == 1
    assert m.value(requests, model_group="chat", deployment="none", status=str(upstream_status))
    assert m.value(requests, model_group="none", deployment="none", status="401") == 1
    assert m.value(requests, model_group="none", deployment="none", status="404") == 1
    assert m.total(requests) == 8

    failures = "deltallm_request_failures_total"
    assert m.value(failures, model_group="chat", kind="rate_limited") == 1
    assert m.value(failures, model_group="chat", kind="upstream_error") == 1
    assert m.value(failures, model_group="none", kind="authentication") == 1
    assert m.value(failures, model_group="none", kind="not_found") == 1

    attempts = "deltallm_upstream_attempts_total"
    assert m.value(attempts, model_group="chat", deployment="chat-0", outcome="ok") == 4
    failed = str(upstream_status)
    assert m.value(attempts, model_group="chat", deployment="chat-0", outcome=failed) == 1
    assert m.value("deltallm_deployment_cooldowns_total", model_group="chat", deployment="chat-0")
    assert m.value("deltallm_deployment_cooling_down", model_group="chat", deployment="chat-0")

    # Every routed call is timed, the upstream failure too; refusals are not.
    for histogram in (
        "deltallm_request_duration_seconds",
        "deltallm_upstream_duration_seconds",
        "deltallm_gateway_overhead_seconds",
    ):
        assert m.value(f"{histogram}_count", model_group="chat") == 5
        assert m.value(f"{histogram}_sum", model_group="chat") > 0
    total = m.value("deltallm_request_duration_seconds_sum", model_group="chat")
    parts = m.value("deltallm_upstream_duration_seconds_sum", model_group="chat") + m.value(
        "deltallm_gateway_overhead_seconds_sum", model_group="chat"
    )
    assert parts == pytest.approx(total, rel=1e-6)

    assert m.value("deltallm_tokens_total", model_group="chat", type="prompt") == 4 * 9
    assert m.value("deltallm_tokens_total", model_group="chat", type="completion") == 4 * 3
    assert m.value("deltallm_spend_usd_total", model_group="chat") == pytest.approx(4 * PRICE)

    # Unknown names collapse; no key material is exported.
    assert "no-such-model-x7" not in m.text
    assert "sk-not-a-key" not in m.text and limited.secret not in m.text
    assert "deltallm_key_" not in m.text and limited.key.id not in m.text


async def test_streams_observe_time_to_first_token(gateway: RunningGateway) -> None:
    async with gateway.client() as client:
        stream = await client.chat.completions.create(
            model="chat", messages=HI, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]
    assert chunks
    m = await settled(gateway, lambda s: s.value("deltallm_requests_total", **_ok_chat()) == 1)
    ttft = "deltallm_time_to_first_token_seconds"
    assert m.value(f"{ttft}_count", model_group="chat") == 1
    assert (
        0
        < m.value(f"{ttft}_sum", model_group="chat")
        <= m.value("deltallm_request_duration_seconds_sum", model_group="chat")
    )
    assert m.value("deltallm_tokens_total", model_group="chat", type="prompt") == 9


def _ok_chat() -> dict[str, str]:
    return {"model_group": "chat", "deployment": "chat-0", "status": "200"}


async def test_wildcard_groups_are_named_by_their_pattern(fake_openai: FakeOpenAI) -> None:
    cfg = config(fake_openai)
    cfg["model_list"].append(
        {
            "model_name": "fake/*",
            "deltallm_params": {"model": "openai/*", "api_base": fake_openai.base_url},
        }
    )
    async with running_gateway(cfg) as gw:
        await ask(gw, model="fake/anything-at-all")
        m = await scrape(gw.root, gw.master_key)
    assert (
        m.value(
            "deltallm_requests_total", model_group="fake/*", deployment="fake/*-1", status="200"
        )
        == 1
    )
    assert "anything-at-all" not in m.text


async def test_key_team_and_organization_labels_only_when_enabled(
    fake_openai: FakeOpenAI,
) -> None:
    cfg = config(fake_openai, labels=["key", "team"])
    async with running_gateway(cfg) as gw:
        created = await gw.runtime.keys.create(
            KeySpec(alias="billing-bot", rpm_limit=10, max_budget=Decimal("0.5"))
        )
        unbudgeted = await gw.runtime.keys.create(KeySpec(alias="free-bot", rpm_limit=10))
        await ask(gw, created.secret)
        await ask(gw, created.secret)
        await ask(gw, unbudgeted.secret)
        m = await scrape(gw.root, gw.master_key)
        stored = await gw.runtime.keys.get(created.key.id)
    key = {"key": created.key.id, "key_alias": "billing-bot"}
    assert m.value("deltallm_key_requests_total", **key) == 2
    assert m.value("deltallm_key_tokens_total", **key) == 2 * 12
    assert m.value("deltallm_key_spend_usd_total", **key) == pytest.approx(2 * PRICE)
    assert m.value("deltallm_key_remaining_requests", **key) == 8
    budget_left = "deltallm_key_remaining_budget_usd"
    assert m.value(budget_left, **key) == pytest.approx(0.5 - 2 * PRICE)
    budgeted_keys = {dict(labels)["key"] for name, labels in m.samples if name == budget_left}
    assert budgeted_keys == {created.key.id}  # a key without a budget has no series
    assert "deltallm_team_requests" in m.text
    assert "deltallm_organization_" not in m.text
    assert created.secret not in m.text
    assert stored.key_hash not in m.text


@pytest.mark.parametrize(
    ("metrics", "key", "status"),
    [
        ({}, None, 401),
        ({}, "sk-wrong", 401),
        ({}, "master", 200),
        ({"metrics_key": METRICS_KEY}, METRICS_KEY, 200),
        ({"metrics_key": METRICS_KEY}, None, 401),
        ({"public": True}, None, 200),
    ],
)
async def test_who_may_scrape(
    fake_openai: FakeOpenAI, metrics: dict[str, Any], key: str | None, status: int
) -> None:
    async with running_gateway(config(fake_openai, **metrics)) as gw:
        token = gw.master_key if key == "master" else key
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{gw.root}/metrics", headers=headers)
    assert response.status_code == status
    if status == 401:
        error = response.json()["error"]
        assert "metrics_key" in error["message"]
        assert error["code"] == "invalid_api_key"
    else:
        assert "# TYPE deltallm_requests_total counter" in response.text


async def test_a_metrics_key_opens_nothing_else(fake_openai: FakeOpenAI) -> None:
    async with running_gateway(config(fake_openai, metrics_key=METRICS_KEY)) as gw:
        assert await fails(ask(gw, METRICS_KEY), openai.AuthenticationError) == 401


async def test_messages_api_calls_and_refusals_are_counted(gateway: RunningGateway) -> None:
    gw = gateway
    async with anthropic.AsyncAnthropic(
        base_url=gw.root, api_key=gw.master_key, max_retries=0
    ) as sdk:
        await sdk.messages.create(model="chat", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    async with anthropic.AsyncAnthropic(
        base_url=gw.root, api_key="sk-not-a-key", max_retries=0
    ) as sdk:
        with pytest.raises(anthropic.AuthenticationError):
            await sdk.messages.create(model="chat", max_tokens=5, messages=HI)  # type: ignore[arg-type]

    m = await settled(gw, lambda s: s.total("deltallm_requests_total") == 2)
    requests = "deltallm_requests_total"
    assert m.value(requests, model_group="chat", deployment="chat-0", status="200") == 1
    assert m.value(requests, model_group="none", deployment="none", status="401") == 1
    assert m.total(requests) == 2
