"""Provider faults seen through the OpenAI SDK: a 200 whose body is cut or not JSON, a
connection dropped without an answer, 5xx, 429 and slowness, a stream cut midway. Each is
retried and sent to fallbacks where configured, and otherwise ends as a clean error in
OpenAI's shape (never a body the SDK cannot parse), charged for what reached the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import openai
import pytest
from sqlmodel import select

from app.spend.models import SpendLog
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

HI = [{"role": "user", "content": "Hi"}]
CUT = b'{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"ro'


def deployment(name: str, fake: FakeOpenAI, mode: str = "chat") -> dict[str, Any]:
    return {
        "model_name": name,
        "deltallm_params": {"model": f"openai/{fake.name}", "api_base": fake.base_url},
        "model_info": {"id": f"{name}-{fake.name}", "mode": mode},
    }


@pytest.fixture
async def upstreams() -> AsyncIterator[tuple[FakeOpenAI, FakeOpenAI]]:
    primary = await FakeOpenAI(reply="from primary", name="primary").start()
    backup = await FakeOpenAI(reply="from backup", name="backup").start()
    try:
        yield primary, backup
    finally:
        await primary.stop()
        await backup.stop()


@pytest.fixture
async def gateway(upstreams: tuple[FakeOpenAI, FakeOpenAI]) -> AsyncIterator[RunningGateway]:
    primary, backup = upstreams
    config = {
        "model_list": [
            deployment("alone", primary),
            deployment("vectors", primary, mode="embedding"),
            deployment("primary", primary),
            deployment("backup", backup),
        ],
        "router_settings": {"num_retries": 0, "fallbacks": [{"primary": ["backup"]}]},
    }
    async with running_gateway(config) as gw:
        yield gw


async def test_a_cut_json_answer_is_a_502_not_a_body_the_sdk_chokes_on(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    primary.answer_next_raw(CUT, "application/json")
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="alone", messages=HI)
        assert caught.value.status_code == 502
        assert caught.value.code == "upstream_error"
        assert "malformed JSON" in caught.value.message
        assert "chatcmpl-1" not in caught.value.message  # nothing of the broken body
        # The next call is served: the fault was that one answer.
        reply = await client.chat.completions.create(model="alone", messages=HI)
    assert reply.choices[0].message.content == "from primary"


async def test_a_cut_json_answer_goes_to_the_fallback(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, backup = upstreams
    primary.answer_next_raw(CUT, "application/json")
    async with gateway.client() as client:
        reply = await client.chat.completions.create(model="primary", messages=HI)
    assert reply.choices[0].message.content == "from backup"
    assert len(backup.requests) == 1


async def test_an_html_page_with_200_is_a_502_and_goes_to_the_fallback(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    page = b"<html><body>Service temporarily unavailable</body></html>"
    primary.answer_next_raw(page, "text/html")
    primary.answer_next_raw(page, "text/html")
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="alone", messages=HI)
        assert caught.value.status_code == 502
        assert "text/html" in caught.value.message
        assert "Service temporarily" not in caught.value.message
        reply = await client.chat.completions.create(model="primary", messages=HI)
    assert reply.choices[0].message.content == "from backup"


async def test_a_cut_embedding_answer_is_a_502(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    primary.answer_next_raw(
        b'{"object": "list", "data": [{"embedding": [0.1, 0.', "application/json"
    )
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.embeddings.create(model="vectors", input="text")
    assert caught.value.status_code == 502


async def test_json_without_its_content_type_is_still_an_answer(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    body = (
        b'{"id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "m", '
        b'"choices": [{"index": 0, "finish_reason": "stop", '
        b'"message": {"role": "assistant", "content": "plain-typed"}}], '
        b'"usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}'
    )
    primary.answer_next_raw(body, "text/plain")
    async with gateway.client() as client:
        raw = await client.chat.completions.with_raw_response.create(model="alone", messages=HI)
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.parse().choices[0].message.content == "plain-typed"


async def test_a_dropped_connection_goes_to_the_fallback_or_ends_in_openai_shape(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    primary.reset_next()
    primary.reset_next()
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="alone", messages=HI)
        assert caught.value.status_code == 503
        assert caught.value.message.endswith("cannot reach the upstream (ServerDisconnectedError)")
        reply = await client.chat.completions.create(model="primary", messages=HI)
    assert reply.choices[0].message.content == "from backup"


async def test_an_upstream_429_passes_its_retry_after_on(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    primary.fail_next(429, "slow down", headers={"Retry-After": "7"})
    async with gateway.client() as client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(model="alone", messages=HI)
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "7"


async def test_an_upstream_5xx_goes_to_the_fallback_and_otherwise_is_a_502(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    primary.fail_next(500, "internal failure")
    primary.fail_next(500, "internal failure")
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="alone", messages=HI)
        assert caught.value.status_code == 502
        assert caught.value.code == "upstream_error"
        reply = await client.chat.completions.create(model="primary", messages=HI)
    assert reply.choices[0].message.content == "from backup"


async def test_a_slow_upstream_is_a_504(upstreams: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    primary, _ = upstreams
    slow = deployment("slow", primary)
    slow["deltallm_params"]["timeout"] = 0.2
    primary.delay = 1.0
    config = {"model_list": [slow], "router_settings": {"num_retries": 0}}
    async with running_gateway(config) as gw, gw.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="slow", messages=HI)
    assert caught.value.status_code == 504
    assert caught.value.code == "upstream_timeout"


async def test_a_stream_cut_midway_is_charged_for_what_was_delivered(
    upstreams: tuple[FakeOpenAI, FakeOpenAI],
) -> None:
    primary, _ = upstreams
    priced = deployment("priced", primary)
    priced["deltallm_params"] |= {
        "input_cost_per_token": "0.001",
        "output_cost_per_token": "0.01",
    }
    primary.reply = "one two three four five"
    primary.break_stream_after = 2
    config = {"model_list": [priced], "router_settings": {"num_retries": 0}}
    async with running_gateway(config) as gw:
        received = []
        async with gw.client() as client:
            stream = await client.chat.completions.create(model="priced", messages=HI, stream=True)
            with pytest.raises(openai.APIError):
                async for chunk in stream:
                    received.append(chunk.choices[0].delta.content)
        assert received == ["one", " two"]
        await gw.runtime.gateway.settler.drain()
        await gw.runtime.spend_queue.flush()
        async with gw.runtime.sessions() as session:
            (row,) = (await session.exec(select(SpendLog))).all()
    assert row.status == "error"
    assert row.completion_tokens == 2  # the two chunks that reached the caller
    assert row.prompt_tokens > 0
    assert row.cost == Decimal("0.001") * row.prompt_tokens + Decimal("0.01") * 2
