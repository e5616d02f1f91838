"""Anthropic's Messages API and the response cache, through the Anthropic SDK: a message
is cached whole or from its completed stream (thinking with its signature, text, tool
use) and replayed as the events the SDK expects, from a native or a translated upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pytest

from tests.support.cache import cache_config
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

pytestmark = pytest.mark.timeout(60)
ASK: dict[str, Any] = {"max_tokens": 100, "messages": [{"role": "user", "content": "Plan?"}]}


@pytest.fixture
async def fake_anthropic() -> AsyncIterator[FakeAnthropic]:
    server = await FakeAnthropic(reply="Going by train").start()
    server.thinking = "Trains are greener."
    server.tool_call = {"name": "book", "input": {"from": "Paris", "to": "Lyon"}}
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def gateway(
    fake_anthropic: FakeAnthropic, fake_openai: FakeOpenAI
) -> AsyncIterator[RunningGateway]:
    config = cache_config(fake_openai)
    config["model_list"].append(
        {
            "model_name": "claude-c",
            "deltallm_params": {
                "model": "anthropic/claude-c",
                "api_base": fake_anthropic.root,
                "api_key": "sk-ant-upstream",
            },
        }
    )
    async with running_gateway(config) as gw:
        yield gw


def sdk(gw: RunningGateway) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=gw.root, api_key=gw.master_key, max_retries=0)


async def streamed(gw: RunningGateway, model: str) -> tuple[str, Any]:
    async with sdk(gw) as client, client.messages.stream(model=model, **ASK) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_message()
        header = stream.response.headers["x-deltallm-cache"]
    return header, final


async def test_a_native_stream_is_stored_and_replayed(
    gateway: RunningGateway, fake_anthropic: FakeAnthropic
) -> None:
    header, first = await streamed(gateway, "claude-c")
    assert header == "miss"
    header, again = await streamed(gateway, "claude-c")
    assert header == "hit"
    assert again.model_dump() == first.model_dump()
    kinds = [block.type for block in again.content]
    assert kinds == ["thinking", "text", "tool_use"]
    assert again.content[0].signature == "sig"
    assert again.content[2].input == {"from": "Paris", "to": "Lyon"}
    assert again.stop_reason == "tool_use"
    async with sdk(gateway) as client:
        raw = await client.messages.with_raw_response.create(model="claude-c", **ASK)
    assert raw.headers["x-deltallm-cache"] == "hit"
    assert (await raw.parse()).content[1].text == "Going by train"  # type: ignore[union-attr]
    assert len(fake_anthropic.requests) == 1


async def test_a_translated_message_is_cached_whole_and_streams(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with sdk(gateway) as client:
        first = await client.messages.with_raw_response.create(model="gpt-c", **ASK)
    assert first.headers["x-deltallm-cache"] == "miss"
    header, again = await streamed(gateway, "gpt-c")
    assert header == "hit"
    assert again.content[0].text == "Hello there!"
    assert again.stop_reason == (await first.parse()).stop_reason == "end_turn"
    assert len(fake_openai.requests) == 1
