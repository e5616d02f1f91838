"""Streams and the response cache, through the OpenAI SDK: a cached answer replays as a
proper SSE stream (content in pieces, tool calls, the usage chunk when asked, [DONE]);
a completed stream is stored and answers non-streamed requests too; a stream that fails
or is cut off part way is never stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from tests.support.cache import cache_config
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

pytestmark = pytest.mark.timeout(60)
TOOL = {"name": "get_weather", "arguments": json.dumps({"city": "Paris", "unit": "celsius"})}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(cache_config(fake_openai)) as gw:
        yield gw


def calls(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.path.endswith("/chat/completions"))


async def streamed(gw: RunningGateway, **kwargs: Any) -> tuple[str, list[Any]]:
    """The cache header and every chunk of a streamed chat call."""
    async with gw.client() as client:
        raw = await client.chat.completions.with_raw_response.create(stream=True, **kwargs)
        chunks = [chunk async for chunk in raw.parse()]
    return raw.headers["x-deltallm-cache"], chunks


def text_of(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


async def test_a_cached_answer_replays_as_a_stream_with_its_usage(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "The quick brown fox jumps"
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Fox?"}]}
    async with gateway.client() as client:
        first = await client.chat.completions.create(**ask)
    header, chunks = await streamed(gateway, stream_options={"include_usage": True}, **ask)
    assert header == "hit"
    assert text_of(chunks) == first.choices[0].message.content == "The quick brown fox jumps"
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) == 5  # in pieces, not one block
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and finishes.count("stop") == 1
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == first.usage.completion_tokens
    header, plain = await streamed(gateway, **ask)  # no usage chunk unless asked
    assert header == "hit" and all(c.choices for c in plain)
    assert calls(fake_openai) == 1


async def test_a_completed_stream_is_stored_and_answers_both_kinds(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "Streamed once only"
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Stream?"}]}
    header, chunks = await streamed(gateway, **ask)
    assert header == "miss" and text_of(chunks) == "Streamed once only"
    header, again = await streamed(gateway, stream_options={"include_usage": True}, **ask)
    assert header == "hit" and text_of(again) == "Streamed once only"
    assert again[-1].usage is not None and again[-1].usage.prompt_tokens == 9
    async with gateway.client() as client:
        raw = await client.chat.completions.with_raw_response.create(**ask)
    assert raw.headers["x-deltallm-cache"] == "hit"
    answer = raw.parse()
    assert answer.choices[0].message.content == "Streamed once only"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.total_tokens == 12
    assert calls(fake_openai) == 1


async def test_tool_calls_are_stored_from_a_stream_and_replayed(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.tool_call = TOOL
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Weather?"}], "tools": TOOLS}
    await streamed(gateway, **ask)
    header, chunks = await streamed(gateway, **ask)
    assert header == "hit"
    deltas = [
        c.choices[0].delta.tool_calls for c in chunks if c.choices and c.choices[0].delta.tool_calls
    ]
    assert deltas[0][0].id == "call_1" and deltas[0][0].function.name == "get_weather"
    assert all(d[0].id is None and d[0].function.name is None for d in deltas[1:])
    arguments = "".join(d[0].function.arguments or "" for d in deltas)
    assert json.loads(arguments) == {"city": "Paris", "unit": "celsius"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    async with gateway.client() as client:
        answer = await client.chat.completions.create(**ask)
    call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert (call.id, call.function.name) == ("call_1", "get_weather")  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}  # type: ignore[union-attr]
    assert calls(fake_openai) == 1


async def test_a_stream_cut_off_upstream_is_not_stored(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "one two three four five"
    fake_openai.break_stream_after = 2
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Cut?"}]}
    async with gateway.client() as client:
        stream = await client.chat.completions.create(stream=True, **ask)
        try:
            async for _ in stream:
                pass
        except openai.APIError:
            pass
    fake_openai.break_stream_after = None
    header, chunks = await streamed(gateway, **ask)
    assert header == "miss" and text_of(chunks) == "one two three four five"
    assert calls(fake_openai) == 2
    header, _ = await streamed(gateway, **ask)
    assert header == "hit"


async def test_a_stream_the_caller_abandons_is_not_stored(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "a b c d e f g h"
    fake_openai.chunk_delay = 0.2
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Leave?"}]}
    async with gateway.client() as client:
        stream = await client.chat.completions.create(stream=True, **ask)
        async for _ in stream:
            break
        await stream.close()
    await asyncio.wait_for(fake_openai.stream_cancelled.wait(), 10)
    await gateway.runtime.gateway.settler.drain()
    fake_openai.chunk_delay = 0
    header, _ = await streamed(gateway, **ask)
    assert header == "miss"
    assert calls(fake_openai) == 2


async def test_a_completion_stream_replays(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as client:
        await client.completions.create(model="gpt-c", prompt="Say")
        raw = await client.completions.with_raw_response.create(
            model="gpt-c", prompt="Say", stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in raw.parse()]
    assert raw.headers["x-deltallm-cache"] == "hit"
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "Hello there!"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 8


async def test_identical_streams_in_flight_reach_the_upstream_once(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    cache = gateway.runtime.gateway.cache
    assert cache is not None
    fake_openai.reply = "Only one upstream stream"
    fake_openai.hold = asyncio.Event()
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Together?"}]}
    tasks = [asyncio.create_task(streamed(gateway, **ask)) for _ in range(4)]
    for _ in range(1000):
        if calls(fake_openai) == 1 and cache.flights.waiting == 3:
            break
        await asyncio.sleep(0.01)
    assert cache.flights.waiting == 3
    fake_openai.hold.set()
    results = await asyncio.gather(*tasks)
    assert sorted(header for header, _ in results) == ["hit", "hit", "hit", "miss"]
    assert {text_of(chunks) for _, chunks in results} == {"Only one upstream stream"}
    assert calls(fake_openai) == 1


async def test_an_answer_larger_than_an_entry_is_relayed_but_not_stored(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.reply = " ".join(["word"] * 400)
    async with running_gateway(cache_config(fake_openai, max_entry_bytes=1024)) as gateway:
        ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Long?"}]}
        header, chunks = await streamed(gateway, **ask)
        assert header == "miss" and text_of(chunks) == fake_openai.reply
        header, _ = await streamed(gateway, **ask)
        assert header == "miss"
        async with gateway.client() as client:
            raw = await client.chat.completions.with_raw_response.create(**ask)
        assert raw.headers["x-deltallm-cache"] == "miss"
    assert calls(fake_openai) == 3
