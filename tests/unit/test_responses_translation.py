"""Responses ↔ chat translation: requests, answers and streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openai.types.responses import Response

from app.errors import BadRequestError, UpstreamUnavailableError
from app.providers.base import ProviderStream, Usage
from app.responses.request import to_chat_body, validate_responses_body
from app.responses.response import to_response
from app.responses.stream import ChatToResponsesStream


def test_items_tools_and_format_translate() -> None:
    body = {
        "model": "m",
        "instructions": "Be brief.",
        "input": [
            {"role": "developer", "content": "Answer in French."},
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is this?"},
                    {"type": "input_image", "image_url": "https://img.example/a.png"},
                ],
            },
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "one"},
            {"type": "reasoning", "id": "rs_1", "summary": []},
        ],
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "f"},
        "text": {"format": {"type": "json_object"}},
        "max_output_tokens": 10,
        "reasoning": {"effort": "low"},
        "user": "u1",
        "metadata": {"a": "b"},
        "store": True,
    }
    chat = to_chat_body(body, drop_params=False)
    assert chat["messages"][0] == {"role": "system", "content": "Be brief."}
    assert chat["messages"][1] == {"role": "developer", "content": "Answer in French."}
    assert chat["messages"][2]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "https://img.example/a.png"},
    }
    assert [c["id"] for c in chat["messages"][3]["tool_calls"]] == ["c1", "c2"]
    assert chat["messages"][4] == {"role": "tool", "tool_call_id": "c1", "content": "one"}
    assert len(chat["messages"]) == 5
    assert chat["tools"] == [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    ]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert chat["response_format"] == {"type": "json_object"}
    assert (chat["max_tokens"], chat["reasoning_effort"], chat["user"]) == (10, "low", "u1")
    assert "metadata" not in chat and "store" not in chat


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "file_search"}]}, "tools[0]"),
        ({"background": True}, "background"),
        ({"input": [{"type": "computer_call_output", "call_id": "x"}]}, "input[0]"),
        ({"reasoning": {"effort": "high"}}, "reasoning"),
    ],
)
def test_unsupported_fields_refused_unless_dropped(extra: dict[str, Any], param: str) -> None:
    body = {"model": "m", "input": "Hi", **extra}
    with pytest.raises(BadRequestError) as refused:
        to_chat_body(body, drop_params=False, reasoning=False)
    assert refused.value.param == param and refused.value.status_code == 400
    chat = to_chat_body(body, drop_params=True, reasoning=False)
    assert not {"tools", "reasoning_effort", "background"} & set(chat)
    assert all(message["role"] == "user" for message in chat["messages"])


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "Hi"}, "model"),
        ({"model": "m"}, "input"),
        ({"model": "m", "input": "Hi", "max_output_tokens": 0}, "max_output_tokens"),
        ({"model": "m", "input": "Hi", "tools": {}}, "tools"),
        ({"model": "m", "input": "Hi", "instructions": ["x"]}, "instructions"),
    ],
)
def test_validation(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        validate_responses_body(body)
    assert refused.value.param == param


def chat_answer(message: dict[str, Any], finish: str = "stop") -> bytes:
    answer = {
        "id": "chatcmpl-1",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"completion_tokens_details": {"reasoning_tokens": 4}},
    }
    return json.dumps(answer).encode()


def test_answer_parses_as_the_sdk_response() -> None:
    message = {
        "role": "assistant",
        "content": "Hi!",
        "reasoning_content": "Thinking.",
        "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": '{"a": 1}'}}],
    }
    usage = Usage(prompt_tokens=7, completion_tokens=9, cached_tokens=3)
    request = {"model": "m", "instructions": "Be brief.", "metadata": {"k": "v"}}
    body = to_response(chat_answer(message), usage, request, store=False)
    response = Response.model_validate(body)
    assert response.output_text == "Hi!" and response.status == "completed"
    assert [item.type for item in response.output] == ["reasoning", "message", "function_call"]
    assert response.usage is not None and response.usage.total_tokens == 16
    assert response.usage.output_tokens_details.reasoning_tokens == 4
    assert response.usage.input_tokens_details.cached_tokens == 3
    assert response.instructions == "Be brief." and response.metadata == {"k": "v"}


def test_length_is_incomplete() -> None:
    body = to_response(
        chat_answer({"role": "assistant", "content": "Cut"}, "length"),
        None,
        {"model": "m"},
        store=False,
    )
    response = Response.model_validate(body)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


class _Chunks(ProviderStream):
    def __init__(self, chunks: list[dict[str, Any]], usage: Usage | None) -> None:
        super().__init__()
        self._chunks = chunks
        self._usage = usage

    async def _events(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
        self.usage = self._usage
        yield b"data: [DONE]\n\n"

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._events()

    async def aclose(self) -> None:
        return None


async def events_of(stream: ChatToResponsesStream) -> list[dict[str, Any]]:
    raw = b"".join([chunk async for chunk in stream])
    events = []
    for block in raw.split(b"\n\n"):
        if block:
            kind, data = block.split(b"\n")
            event = json.loads(data.removeprefix(b"data: "))
            assert kind == b"event: " + event["type"].encode()
            events.append(event)
    return events


def delta(**fields: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


async def test_stream_reasoning_text_and_length() -> None:
    chunks = [
        delta(reasoning_content="Hmm."),
        delta(content="Hel"),
        delta(content="lo"),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]},
    ]
    stream = ChatToResponsesStream(
        _Chunks(chunks, Usage(3, 2)), {"model": "m"}, input_estimate=1, store=False
    )
    events = await events_of(stream)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    kinds = [e["type"] for e in events]
    assert kinds[2:4] == ["response.output_item.added", "response.output_item.done"]
    assert kinds[-1] == "response.incomplete"
    final = Response.model_validate(events[-1]["response"])
    assert final.output_text == "Hello" and final.status == "incomplete"
    assert final.usage is not None and final.usage.total_tokens == 5
    assert {e["output_index"] for e in events if e["type"] == "response.output_text.delta"} == {1}


async def test_stream_without_usage_estimates_it() -> None:
    chunks = [
        delta(content="abcdefgh"),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    stream = ChatToResponsesStream(
        _Chunks(chunks, None), {"model": "m"}, input_estimate=5, store=True
    )
    events = await events_of(stream)
    final = events[-1]["response"]
    assert final["usage"]["input_tokens"] == 5 and final["usage"]["output_tokens"] == 2
    assert final["store"] is True


async def test_stream_cut_before_an_answer_fails() -> None:
    class _Cut(_Chunks):
        async def _events(self) -> AsyncIterator[bytes]:
            yield b"data: " + json.dumps(delta(content="Hi")).encode() + b"\n\n"

    stream = ChatToResponsesStream(_Cut([], None), {"model": "m"}, input_estimate=1, store=False)
    with pytest.raises(UpstreamUnavailableError):
        await events_of(stream)


def test_chat_only_pairs() -> None:
    body = {"model": "m", "input": "Hi", "parallel_tool_calls": False, "top_logprobs": 2}
    chat = to_chat_body(body, drop_params=False)
    assert "parallel_tool_calls" not in chat
    assert (chat["logprobs"], chat["top_logprobs"]) == (True, 2)
    tools = [{"type": "function", "name": "f", "parameters": {}}]
    chat = to_chat_body({**body, "tools": tools}, drop_params=False)
    assert chat["parallel_tool_calls"] is False
