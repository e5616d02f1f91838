"""Chat streams from an OpenAI upstream become Anthropic events the SDK can rebuild:
tool arguments whole however they were cut, reasoning as thinking blocks, one
``message_start``, real usage at the end, and an ``error`` event when the upstream fails."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

HI = [{"role": "user", "content": "Hi"}]
TOOL = {"name": "lookup", "input_schema": {"type": "object"}}


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "api_base": fake_openai.base_url},
            }
        ]
    }
    async with running_gateway(config) as gw:
        yield gw


def sse(*deltas: dict[str, Any], finish: str, usage: dict[str, Any] | None = None) -> bytes:
    """An OpenAI chat stream with these deltas, a finish chunk, a usage chunk, [DONE]."""
    base = {"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "gpt-a"}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas
    ]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if usage is not None:
        chunks.append({**base, "choices": [], "usage": usage})
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


def call(index: int, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    item: dict[str, Any] = {"index": index, "function": function}
    if call_id is not None:
        item |= {"id": call_id, "type": "function"}
    return {"tool_calls": [item]}


def client(gw: RunningGateway) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=gw.root, api_key=gw.master_key, max_retries=0)


async def test_text_then_two_tool_calls(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    usage = {
        "prompt_tokens": 40,
        "completion_tokens": 12,
        "total_tokens": 52,
        "prompt_tokens_details": {"cached_tokens": 30},
    }
    fake_openai.answer_next_raw(
        sse(
            {"role": "assistant", "content": "Let me look."},
            # The whole first call in one chunk, arguments included (lost by some gateways).
            call(0, "call_a", "lookup", '{"q": "first"}'),
            # The second under the same index with its own id, as some servers send them.
            call(0, "call_b", "lookup", ""),
            call(0, None, None, '{"q": '),
            call(0, "call_b", None, '"second"}'),
            finish="tool_calls",
            usage=usage,
        ),
        "text/event-stream",
    )
    async with (
        client(gateway) as sdk,
        sdk.messages.stream(model="gpt-a", max_tokens=50, messages=HI, tools=[TOOL]) as stream,
    ):
        final = await stream.get_final_message()
    text, first, second = final.content
    assert text.type == "text" and text.text == "Let me look."
    assert first.type == "tool_use" and (first.id, first.input) == ("call_a", {"q": "first"})
    assert second.type == "tool_use" and (second.id, second.input) == ("call_b", {"q": "second"})
    assert final.stop_reason == "tool_use"
    assert (final.usage.input_tokens, final.usage.cache_read_input_tokens) == (10, 30)
    assert final.usage.output_tokens == 12


async def test_reasoning_becomes_thinking_and_events_are_ordered(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.answer_next_raw(
        sse(
            {"role": "assistant", "reasoning_content": "Think "},
            {"reasoning_content": "hard."},
            {"content": "Done."},
            finish="length",
            usage={"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
        ),
        "text/event-stream",
    )
    body = {"model": "gpt-a", "max_tokens": 4, "messages": HI, "stream": True}
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{gateway.root}/v1/messages", json=body, headers={"x-api-key": gateway.master_key}
        )
    events = [
        json.loads(part.split(b"\ndata: ", 1)[1]) for part in answer.content.split(b"\n\n") if part
    ]
    kinds = [(e["type"], e.get("index")) for e in events]
    assert kinds == [
        ("message_start", None),
        ("ping", None),
        ("content_block_start", 0),
        ("content_block_delta", 0),
        ("content_block_delta", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_delta", 1),
        ("content_block_stop", 1),
        ("message_delta", None),
        ("message_stop", None),
    ]
    assert events[2]["content_block"]["type"] == "thinking"
    assert events[0]["message"]["usage"]["input_tokens"] > 0
    assert events[-2]["delta"]["stop_reason"] == "max_tokens"
    assert events[-2]["usage"] == {
        "input_tokens": 5,
        "output_tokens": 4,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


async def test_upstream_failure_mid_stream_is_an_error_event(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "one two three four"
    fake_openai.break_stream_after = 2
    async with client(gateway) as sdk:
        with pytest.raises(anthropic.APIStatusError) as failed:
            async with sdk.messages.stream(model="gpt-a", max_tokens=9, messages=HI) as stream:
                await stream.get_final_message()
    assert failed.value.body["error"]["type"] in ("overloaded_error", "api_error")  # type: ignore[index]


async def test_the_demo_model_answers_messages() -> None:
    config = {"model_list": [{"model_name": "echo", "deltallm_params": {"model": "demo/echo"}}]}
    async with running_gateway(config) as gw, client(gw) as sdk:
        message = await sdk.messages.create(
            model="echo", max_tokens=32, messages=[{"role": "user", "content": "ping pong"}]
        )
        async with sdk.messages.stream(
            model="echo", max_tokens=32, messages=[{"role": "user", "content": "ping pong"}]
        ) as stream:
            streamed = await stream.get_final_message()
    assert message.content[0].type == "text" and "ping pong" in message.content[0].text
    assert streamed.content[0].type == "text" and "ping pong" in streamed.content[0].text
    assert message.usage.output_tokens > 0 and streamed.usage.output_tokens > 0


async def test_usage_estimated_when_the_upstream_reports_none(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.answer_next_raw(
        sse({"role": "assistant", "content": "Twelve chars"}, finish="stop"), "text/event-stream"
    )
    async with (
        client(gateway) as sdk,
        sdk.messages.stream(model="gpt-a", max_tokens=50, messages=HI) as stream,
    ):
        final = await stream.get_final_message()
    assert final.usage.output_tokens == 3 and final.usage.input_tokens > 0
