"""The Anthropic adapter against a real Anthropic-shaped HTTP server on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import pytest
from pydantic import SecretStr

from app.config import DeploymentParams
from app.errors import BadRequestError, UpstreamError, UpstreamUnavailableError
from app.providers.anthropic import AnthropicProvider
from app.providers.base import Operation, ProviderCall, ProviderStream
from app.providers.transport import Transport
from tests.support.fake_anthropic import FakeAnthropic

TIMEOUT = 10.0
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    server = await FakeAnthropic().start()
    yield server
    await server.stop()


@pytest.fixture
async def transport() -> AsyncIterator[Transport]:
    client = Transport()
    yield client
    await client.aclose()


def make_provider(
    fake: FakeAnthropic, transport: Transport, api_base: str | None = None, **extra: Any
) -> AnthropicProvider:
    params = DeploymentParams(
        model="anthropic/claude-3-5-haiku-latest",
        api_base=api_base or fake.root,
        api_key=SecretStr("sk-ant-test"),
        **extra,
    )
    return AnthropicProvider(params, transport)


@pytest.fixture
def provider(fake: FakeAnthropic, transport: Transport) -> AnthropicProvider:
    return make_provider(fake, transport)


def chat(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"model": "claude-3-5-haiku-latest", "messages": messages, **extra}


HELLO = chat([{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}])


async def read_stream(stream: ProviderStream) -> list[Any]:
    """Every chunk of the stream, decoded; asserts it ends with ``[DONE]``."""
    try:
        raw = b"".join([piece async for piece in stream])
    finally:
        await stream.aclose()
    events = [e.removeprefix(b"data: ") for e in raw.split(b"\n\n") if e]
    assert events[-1] == b"[DONE]"
    return [json.loads(e) for e in events[:-1]]


def text_of(chunks: list[Any]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


async def test_non_streaming_text(provider: AnthropicProvider, fake: FakeAnthropic) -> None:
    result = await provider.call(ProviderCall(Operation.CHAT, HELLO), TIMEOUT)
    body = json.loads(result.content)
    assert result.media_type == "application/json"
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "Hello there!"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] == 17
    assert result.usage is not None
    assert (
        result.usage.prompt_tokens,
        result.usage.completion_tokens,
        result.usage.cached_tokens,
    ) == (17, 7, 3)
    sent = fake.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.body == {
        "model": "claude-3-5-haiku-latest",
        "max_tokens": 4096,
        "system": "Be kind.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }


async def test_headers_sent(provider: AnthropicProvider, fake: FakeAnthropic) -> None:
    await provider.call(ProviderCall(Operation.CHAT, HELLO), TIMEOUT)
    stream = await provider.stream(ProviderCall(Operation.CHAT, HELLO, stream=True), TIMEOUT)
    await read_stream(stream)
    for sent, accept in zip(fake.requests, ["application/json", "text/event-stream"], strict=True):
        assert sent.headers["x-api-key"] == "sk-ant-test"
        assert sent.headers["anthropic-version"] == "2023-06-01"
        assert sent.headers["Content-Type"] == "application/json"
        assert sent.headers["Accept"] == accept
        assert "Authorization" not in sent.headers
    assert fake.requests[1].body["stream"] is True


async def test_api_base_with_v1_suffix(fake: FakeAnthropic, transport: Transport) -> None:
    provider = make_provider(fake, transport, api_base=f"{fake.root}/v1/")
    await provider.call(ProviderCall(Operation.CHAT, HELLO), TIMEOUT)
    assert fake.requests[0].path == "/v1/messages"


async def test_tool_call_round_trip(provider: AnthropicProvider, fake: FakeAnthropic) -> None:
    fake.reply = ""
    fake.tool_call = {"name": "get_weather", "input": {"city": "Paris"}}
    question = [{"role": "user", "content": "Weather in Paris?"}]
    first = await provider.call(
        ProviderCall(
            Operation.CHAT,
            chat(question, tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=False),
        ),
        TIMEOUT,
    )
    choice = json.loads(first.content)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert fake.requests[0].body["tools"][0]["input_schema"]["required"] == ["city"]
    assert fake.requests[0].body["tool_choice"] == {
        "type": "any",
        "disable_parallel_tool_use": True,
    }

    fake.reply, fake.tool_call = "It is sunny.", None
    follow_up = [
        *question,
        choice["message"],
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny, 21C"},
    ]
    second = await provider.call(
        ProviderCall(Operation.CHAT, chat(follow_up, tools=[WEATHER_TOOL])), TIMEOUT
    )
    assert json.loads(second.content)["choices"][0]["message"]["content"] == "It is sunny."
    sent = fake.requests[1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"] == [
        {"type": "tool_use", "id": call["id"], "name": "get_weather", "input": {"city": "Paris"}}
    ]
    assert sent[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": call["id"],
            "content": [{"type": "text", "text": "sunny, 21C"}],
        }
    ]


@pytest.mark.parametrize("line_ending", ["\n", "\r\n"])
async def test_streaming_text_without_usage_chunk(
    provider: AnthropicProvider, fake: FakeAnthropic, line_ending: str
) -> None:
    fake.line_ending = line_ending
    fake.thinking = "private reasoning"
    stream = await provider.stream(ProviderCall(Operation.CHAT, HELLO, stream=True), TIMEOUT)
    chunks = await read_stream(stream)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert text_of(chunks) == "Hello there!"
    assert "private reasoning" not in json.dumps(chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"] for c in chunks)
    assert stream.usage is not None
    assert (
        stream.usage.prompt_tokens,
        stream.usage.completion_tokens,
        stream.usage.cached_tokens,
    ) == (17, 7, 3)
    assert stream.first_chunk_at is not None


async def test_streaming_usage_chunk_when_requested(
    provider: AnthropicProvider, fake: FakeAnthropic
) -> None:
    call = ProviderCall(Operation.CHAT, HELLO, stream=True, include_usage=True)
    stream = await provider.stream(call, TIMEOUT)
    chunks = await read_stream(stream)
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 17,
        "completion_tokens": 7,
        "total_tokens": 24,
        "prompt_tokens_details": {"cached_tokens": 3},
    }
    assert stream.usage is not None
    assert stream.usage.total_tokens == 24


async def test_streamed_tool_call_arguments_are_reassembled(
    provider: AnthropicProvider, fake: FakeAnthropic
) -> None:
    fake.reply = "Let me check."
    fake.tool_call = [
        {"name": "get_weather", "input": {"city": "Paris", "units": "celsius"}},
        {"name": "get_weather", "input": {"city": "Rome", "units": "celsius"}},
    ]
    call = ProviderCall(
        Operation.CHAT,
        chat([{"role": "user", "content": "Paris and Rome?"}], tools=[WEATHER_TOOL]),
        stream=True,
    )
    chunks = await read_stream(await provider.stream(call, TIMEOUT))
    assert text_of(chunks) == "Let me check."
    calls: dict[int, dict[str, Any]] = {}
    argument_deltas = 0
    for chunk in chunks:
        for delta in chunk["choices"][0]["delta"].get("tool_calls", []):
            entry = calls.setdefault(delta["index"], {"id": None, "name": None, "arguments": ""})
            entry["id"] = entry["id"] or delta.get("id")
            entry["name"] = entry["name"] or delta["function"].get("name")
            entry["arguments"] += delta["function"]["arguments"]
            argument_deltas += bool(delta["function"]["arguments"])
    assert sorted(calls) == [0, 1]
    assert [calls[i]["id"] for i in (0, 1)] == ["toolu_01", "toolu_02"]
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris", "units": "celsius"}
    assert json.loads(calls[1]["arguments"]) == {"city": "Rome", "units": "celsius"}
    assert argument_deltas >= 4
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("streaming", [False, True])
async def test_upstream_errors(
    provider: AnthropicProvider, fake: FakeAnthropic, streaming: bool
) -> None:
    async def attempt() -> None:
        call = ProviderCall(Operation.CHAT, HELLO, stream=streaming)
        if streaming:
            await (await provider.stream(call, TIMEOUT)).aclose()
        else:
            await provider.call(call, TIMEOUT)

    fake.fail_next(400, "messages: roles must alternate")
    with pytest.raises(BadRequestError) as bad:
        await attempt()
    assert "roles must alternate" in bad.value.message

    fake.fail_next(529, "Overloaded")
    with pytest.raises(UpstreamUnavailableError) as overloaded:
        await attempt()
    assert overloaded.value.retryable

    fake.fail_next(401, "invalid x-api-key")
    with pytest.raises(UpstreamError) as auth:
        await attempt()
    assert auth.value.status_code == 502
    assert not auth.value.retryable


async def test_error_event_mid_stream(provider: AnthropicProvider, fake: FakeAnthropic) -> None:
    fake.stream_error = "Overloaded"
    stream = await provider.stream(ProviderCall(Operation.CHAT, HELLO, stream=True), TIMEOUT)
    with pytest.raises(UpstreamUnavailableError, match="Overloaded"):
        await read_stream(stream)


async def test_untranslatable_input_is_rejected_before_sending(
    provider: AnthropicProvider, fake: FakeAnthropic
) -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    body = chat([{"role": "user", "content": [image]}])
    with pytest.raises(BadRequestError) as caught:
        await provider.call(ProviderCall(Operation.CHAT, body), TIMEOUT)
    assert caught.value.param == "messages[0].content[0].image_url.url"
    with pytest.raises(BadRequestError):
        await provider.call(ProviderCall(Operation.EMBEDDING, {"input": "x"}), TIMEOUT)
    assert fake.requests == []


async def test_client_aclose_mid_stream_reaches_the_upstream(
    provider: AnthropicProvider, fake: FakeAnthropic
) -> None:
    fake.reply = " ".join(f"word{i}" for i in range(200))
    fake.chunk_delay = 0.02
    stream = await provider.stream(ProviderCall(Operation.CHAT, HELLO, stream=True), TIMEOUT)
    iterator = cast(AsyncGenerator[bytes, None], aiter(stream))
    assert await anext(iterator)
    await stream.aclose()
    await iterator.aclose()
    await asyncio.wait_for(fake.stream_cancelled.wait(), 5)
