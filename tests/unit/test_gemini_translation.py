"""OpenAI ⇄ Gemini translation, with no network: requests, answers and streams."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.errors import BadRequestError, UpstreamError, UpstreamUnavailableError
from app.providers.gemini_request import clean_schema, to_gemini_request
from app.providers.gemini_response import GeminiStream, finish_reason, to_openai_response

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n not really an image").decode()


def req(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return to_gemini_request({"model": "gemini-x", "messages": messages, **extra})


def bad(messages: list[dict[str, Any]], **extra: Any) -> BadRequestError:
    with pytest.raises(BadRequestError) as caught:
        req(messages, **extra)
    return caught.value


# --- requests -----------------------------------------------------------------------------


def test_system_and_developer_messages_become_the_system_instruction() -> None:
    out = req(
        [
            {"role": "system", "content": "One."},
            {"role": "developer", "content": [{"type": "text", "text": "Two."}]},
            {"role": "user", "content": "Hi"},
        ]
    )
    assert out == {
        "systemInstruction": {"parts": [{"text": "One."}, {"text": "Two."}]},
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
    }


def test_consecutive_turns_of_one_role_are_merged() -> None:
    out = req([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
    assert out["contents"] == [{"role": "user", "parts": [{"text": "a"}, {"text": "b"}]}]


def test_image_data_url_becomes_inline_data() -> None:
    url = f"data:image/png;base64,{PNG}"
    out = req([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}])
    assert out["contents"][0]["parts"] == [{"inlineData": {"mimeType": "image/png", "data": PNG}}]


@pytest.mark.parametrize(
    "url", ["https://example.com/cat.png", "data:image/png,rawtext", "data:image/png;base64,@@"]
)
def test_unusable_images_are_refused_naming_the_part(url: str) -> None:
    error = bad([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}])
    assert error.param == "messages[0].content[0].image_url.url"


def test_unknown_part_and_role_are_refused() -> None:
    assert bad([{"role": "user", "content": [{"type": "audio"}]}]).param == "messages[0].content[0]"
    assert bad([{"role": "robot", "content": "x"}]).param == "messages[0].role"
    assert bad([{"role": "system", "content": "only"}]).param == "messages"


def test_tool_calls_and_results_become_function_parts() -> None:
    out = req(
        [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ]
    )
    assert out["contents"][1:] == [
        {
            "role": "model",
            "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}
            ],
        },
    ]


def test_tool_result_without_a_matching_call_is_refused() -> None:
    error = bad([{"role": "tool", "tool_call_id": "nope", "content": "x"}])
    assert error.param == "messages[0].tool_call_id"


def test_tools_and_tool_choice() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "f",
            "description": "d",
            "parameters": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {"a": {"type": "object", "additionalProperties": False}},
                "additionalProperties": False,
            },
        },
    }
    user = [{"role": "user", "content": "x"}]
    out = req(user, tools=[tool], tool_choice={"type": "function", "function": {"name": "f"}})
    assert out["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "f",
                    "description": "d",
                    "parameters": {"type": "object", "properties": {"a": {"type": "object"}}},
                }
            ]
        }
    ]
    assert out["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}
    }
    for choice, mode in (("auto", "AUTO"), ("none", "NONE"), ("required", "ANY")):
        out = req(user, tools=[tool], tool_choice=choice)
        assert out["toolConfig"] == {"functionCallingConfig": {"mode": mode}}
    assert bad(user, tools=[tool], tool_choice="sometimes").param == "tool_choice"


def test_generation_params() -> None:
    schema = {
        "type": "object",
        "properties": {"x": {"type": "integer"}},
        "additionalProperties": False,
    }
    out = req(
        [{"role": "user", "content": "x"}],
        temperature=0.5,
        top_p=0.9,
        max_tokens=10,
        max_completion_tokens=20,
        stop="END",
        n=2,
        response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
    )
    assert out["generationConfig"] == {
        "temperature": 0.5,
        "topP": 0.9,
        "candidateCount": 2,
        "maxOutputTokens": 20,
        "stopSequences": ["END"],
        "responseMimeType": "application/json",
        "responseSchema": {"type": "object", "properties": {"x": {"type": "integer"}}},
    }
    assert clean_schema([{"$id": "x", "type": "string"}]) == [{"type": "string"}]


# --- answers ------------------------------------------------------------------------------


def answer(parts: list[dict[str, Any]], reason: str = "STOP", **usage: int) -> bytes:
    return json.dumps(
        {
            "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": reason}],
            "usageMetadata": usage,
            "modelVersion": "gemini-2.0-flash-001",
        }
    ).encode()


def test_answer_with_usage_and_thoughts() -> None:
    content, usage = to_openai_response(
        answer(
            [{"text": "thinking...", "thought": True}, {"text": "Hi "}, {"text": "there"}],
            promptTokenCount=10,
            candidatesTokenCount=3,
            thoughtsTokenCount=7,
            cachedContentTokenCount=4,
        ),
        model="gemini-x",
    )
    body = json.loads(content)
    assert body["object"] == "chat.completion" and body["model"] == "gemini-2.0-flash-001"
    assert body["choices"][0]["message"]["content"] == "Hi there"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 10
    assert body["usage"]["completion_tokens_details"] == {"reasoning_tokens": 7}
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 4}
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (10, 10, 4)


def test_function_calls_get_ids_and_the_tool_calls_finish() -> None:
    content, _ = to_openai_response(
        answer(
            [{"functionCall": {"name": "f", "args": {"a": 1}}}, {"functionCall": {"name": "g"}}]
        ),
        model="m",
    )
    choice = json.loads(content)["choices"][0]
    calls = choice["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["f", "g"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"a": 1}, {}]
    assert len({c["id"] for c in calls}) == 2
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("OTHER", "stop"),
    ],
)
def test_finish_reasons(reason: str, expected: str) -> None:
    assert finish_reason(reason, tool_calls=False) == expected


def test_blocked_prompt_is_a_content_filter_finish() -> None:
    content, _ = to_openai_response(
        json.dumps({"promptFeedback": {"blockReason": "SAFETY"}}).encode(), model="m"
    )
    assert json.loads(content)["choices"][0]["finish_reason"] == "content_filter"


def test_unreadable_answer_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        to_openai_response(b"<html>", model="m")


# --- streams ------------------------------------------------------------------------------


class ScriptedResponse:
    """Stands in for UpstreamStreamResponse: yields the given raw chunks."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def chunks(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        return None


def ev(parts: list[dict[str, Any]], reason: str | None = None, **usage: int) -> bytes:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    data: dict[str, Any] = {"candidates": [candidate]}
    if reason:
        candidate["finishReason"] = reason
    if usage:
        data["usageMetadata"] = usage
    return f"data: {json.dumps(data)}\r\n\r\n".encode()


async def run(chunks: list[bytes], include_usage: bool = True) -> tuple[list[Any], GeminiStream]:
    stream = GeminiStream(ScriptedResponse(chunks), model="m", include_usage=include_usage)  # type: ignore[arg-type]
    raw = b"".join([piece async for piece in stream])
    events = [e.removeprefix(b"data: ") for e in raw.split(b"\n\n") if e]
    assert events[-1] == b"[DONE]"
    return [json.loads(e) for e in events[:-1]], stream


async def test_stream_split_across_chunks() -> None:
    first = ev([{"text": "Hel"}])
    last = ev([{"text": "lo"}], "STOP", promptTokenCount=5, candidatesTokenCount=2)
    raw = first + last
    events, stream = await run([raw[:7], raw[7:40], raw[40:]])
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert text == "Hello"
    assert events[-2]["choices"][0]["finish_reason"] == "stop"
    assert events[-1]["choices"] == [] and events[-1]["usage"]["total_tokens"] == 7
    assert stream.usage is not None and stream.usage.completion_tokens == 2


async def test_stream_tool_calls_and_no_usage_chunk_unless_asked() -> None:
    chunks = [
        ev([{"functionCall": {"name": "f", "args": {"a": 1}}}]),
        ev([{"functionCall": {"name": "g", "args": {}}}], "STOP", promptTokenCount=1),
    ]
    events, stream = await run(chunks, include_usage=False)
    calls = [c for e in events for c in e["choices"][0]["delta"].get("tool_calls") or []]
    assert [(c["index"], c["function"]["name"]) for c in calls] == [(0, "f"), (1, "g")]
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert all(e["choices"] for e in events)
    assert stream.usage is not None and stream.usage.prompt_tokens == 1


async def test_stream_cut_before_a_finish_reason() -> None:
    with pytest.raises(UpstreamUnavailableError):
        await run([ev([{"text": "Hel"}])])


@pytest.mark.parametrize(
    ("code", "status", "kind", "http"),
    [
        (429, "RESOURCE_EXHAUSTED", UpstreamError, 429),
        (503, "UNAVAILABLE", UpstreamUnavailableError, 503),
        (500, "INTERNAL", UpstreamError, 502),
    ],
)
async def test_stream_error_events(
    code: int, status: str, kind: type[Exception], http: int
) -> None:
    error = json.dumps({"error": {"code": code, "message": "nope", "status": status}})
    with pytest.raises(kind) as caught:
        await run([ev([{"text": "a"}]), f"data: {error}\n\n".encode()])
    assert getattr(caught.value, "status_code", None) == http


def test_thought_signatures_ride_in_the_tool_call_id() -> None:
    part = {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "sig=="}
    content, _ = to_openai_response(answer([part]), model="m")
    [call] = json.loads(content)["choices"][0]["message"]["tool_calls"]
    assert call["id"].endswith("__thought__sig==")
    out = req(
        [
            {"role": "user", "content": "x"},
            {"role": "assistant", "tool_calls": [{**call, "function": call["function"]}]},
            {"role": "tool", "tool_call_id": call["id"], "content": "{}"},
        ]
    )
    assert out["contents"][1]["parts"] == [
        {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "sig=="}
    ]
    assert out["contents"][2]["parts"][0]["functionResponse"]["name"] == "f"


def test_reasoning_effort_becomes_a_thinking_budget() -> None:
    user = [{"role": "user", "content": "x"}]
    assert req(user, reasoning_effort="low")["generationConfig"] == {
        "thinkingConfig": {"thinkingBudget": 1024}
    }
    assert req(user, reasoning_effort="high")["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 24576
    }
    assert bad(user, reasoning_effort="max").param == "reasoning_effort"
