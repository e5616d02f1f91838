"""OpenAI ⇄ Anthropic translation, with no network: requests, answers and streams."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.errors import BadRequestError, UpstreamError, UpstreamUnavailableError
from app.providers.anthropic_request import DEFAULT_MAX_TOKENS, to_anthropic_request
from app.providers.anthropic_response import AnthropicStream, to_openai_response

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n not really an image").decode()


def req(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return to_anthropic_request({"model": "claude-x", "messages": messages, **extra}, stream=False)


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def bad_param(body: dict[str, Any]) -> str | None:
    with pytest.raises(BadRequestError) as caught:
        to_anthropic_request({"model": "claude-x", **body}, stream=False)
    return caught.value.param


# --- requests -----------------------------------------------------------------------------


def test_minimal_request_gets_default_max_tokens_and_drops_openai_only_fields() -> None:
    out = req(
        [user("hi")],
        frequency_penalty=0.5,
        presence_penalty=1,
        seed=7,
        logprobs=True,
        response_format={"type": "json_object"},
        stream_options={"include_usage": True},
        stream=True,
        n=1,
    )
    assert out == {
        "model": "claude-x",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "max_tokens": DEFAULT_MAX_TOKENS,
    }
    assert DEFAULT_MAX_TOKENS == 4096


def test_stream_flag_is_set_only_for_streaming() -> None:
    body = {"model": "m", "messages": [user("hi")]}
    assert to_anthropic_request(body, stream=True)["stream"] is True
    assert "stream" not in to_anthropic_request(body, stream=False)


def test_system_and_developer_messages_are_joined_into_system() -> None:
    out = req(
        [
            {"role": "system", "content": "Be brief."},
            user("hi"),
            {
                "role": "developer",
                "content": [
                    {"type": "text", "text": "Use French."},
                    {"type": "text", "text": "No emoji."},
                ],
            },
        ]
    )
    assert out["system"] == "Be brief.\n\nUse French.\nNo emoji."
    assert [m["role"] for m in out["messages"]] == ["user"]


def test_sampling_stop_user_and_token_fields() -> None:
    out = req([user("hi")], temperature=0.2, top_p=0.9, stop="END", user="u-42", max_tokens=50)
    assert out["temperature"] == 0.2
    assert out["top_p"] == 0.9
    assert out["stop_sequences"] == ["END"]
    assert out["metadata"] == {"user_id": "u-42"}
    assert out["max_tokens"] == 50
    assert req([user("hi")], stop=["a", "b"])["stop_sequences"] == ["a", "b"]


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    assert req([user("hi")], max_tokens=10, max_completion_tokens=20)["max_tokens"] == 20


@pytest.mark.parametrize("value", [0, -1, "10", True, 1.5])
def test_invalid_max_tokens_is_rejected(value: Any) -> None:
    assert bad_param({"messages": [user("hi")], "max_tokens": value}) == "max_tokens"


def test_multi_part_user_content_with_data_url_image_and_cache_control() -> None:
    out = req(
        [
            user(
                [
                    {
                        "type": "text",
                        "text": "What is this?",
                        "cache_control": {"type": "ephemeral"},
                    },
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"},
                    },
                ]
            )
        ]
    )
    assert out["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?", "cache_control": {"type": "ephemeral"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/cat.png",
        "http://example.com/cat.png",
        "data:image/png,notbase64",
        "data:image/bmp;base64,AAAA",
        "data:image/png;base64,",
    ],
)
def test_images_other_than_base64_data_urls_are_rejected(url: str) -> None:
    messages = [
        user([{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": url}}])
    ]
    assert bad_param({"messages": messages}) == "messages[0].content[1].image_url.url"


def test_unsupported_part_type_is_rejected() -> None:
    part = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    assert bad_param({"messages": [user("a"), user([part])]}) == "messages[1].content[0]"


def test_consecutive_same_role_messages_are_merged() -> None:
    out = req(
        [
            user("one"),
            user("two"),
            {"role": "assistant", "content": "three"},
            {"role": "assistant", "content": "four"},
            user("five"),
        ]
    )
    assert out["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        },
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "three"}, {"type": "text", "text": "four"}],
        },
        {"role": "user", "content": [{"type": "text", "text": "five"}]},
    ]


def tool_turn() -> list[dict[str, Any]]:
    return [
        user("Weather in Paris and Rome?"),
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
                },
                {"id": "toolu_2", "type": "function", "function": {"name": "now", "arguments": ""}},
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "noon"}]},
        user("Thanks"),
    ]


def test_tool_calls_become_tool_use_and_tool_results_are_grouped() -> None:
    out = req(tool_turn())
    assistant, results = out["messages"][1], out["messages"][2]
    assert assistant == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}},
        ],
    }
    assert results == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": [{"type": "text", "text": "18C"}],
            },
            {
                "type": "tool_result",
                "tool_use_id": "toolu_2",
                "content": [{"type": "text", "text": "noon"}],
            },
            {"type": "text", "text": "Thanks"},
        ],
    }
    assert len(out["messages"]) == 3


def test_assistant_message_with_only_tool_calls() -> None:
    messages = tool_turn()
    messages[1]["content"] = None
    assert req(messages)["messages"][1]["content"][0]["type"] == "tool_use"


@pytest.mark.parametrize("arguments", ["{not json", "[1, 2]", '"text"'])
def test_tool_call_arguments_must_be_a_json_object(arguments: str) -> None:
    messages = tool_turn()
    messages[1]["tool_calls"][1]["function"]["arguments"] = arguments
    assert bad_param({"messages": messages}) == "messages[1].tool_calls[1].function.arguments"


def test_tool_message_without_tool_call_id_is_rejected() -> None:
    messages = tool_turn()
    del messages[3]["tool_call_id"]
    assert bad_param({"messages": messages}) == "messages[3].tool_call_id"


WEATHER = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_tools_are_translated() -> None:
    bare = {"type": "function", "function": {"name": "now"}}
    out = req([user("hi")], tools=[WEATHER, bare])
    assert out["tools"] == [
        {
            "name": "weather",
            "description": "Current weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
        {"name": "now", "input_schema": {"type": "object", "properties": {}}},
    ]
    assert "tool_choice" not in out


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        (
            {"type": "function", "function": {"name": "weather"}},
            {"type": "tool", "name": "weather"},
        ),
    ],
)
def test_tool_choice(choice: Any, expected: dict[str, Any]) -> None:
    assert req([user("hi")], tools=[WEATHER], tool_choice=choice)["tool_choice"] == expected


def test_parallel_tool_calls_false_disables_parallel_tool_use() -> None:
    out = req([user("hi")], tools=[WEATHER], tool_choice="required", parallel_tool_calls=False)
    assert out["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    out = req([user("hi")], tools=[WEATHER], parallel_tool_calls=False)
    assert out["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    out = req([user("hi")], tools=[WEATHER], tool_choice="none", parallel_tool_calls=False)
    assert out["tool_choice"] == {"type": "none"}
    out = req([user("hi")], tools=[WEATHER], parallel_tool_calls=True)
    assert "tool_choice" not in out


def test_tool_choice_without_tools_is_dropped() -> None:
    out = req([user("hi")], tool_choice="required", parallel_tool_calls=False)
    assert "tool_choice" not in out
    assert "tools" not in out


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [user("hi")], "n": 2}, "n"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "system", "content": "only system"}]}, "messages"),
        ({"messages": [user("hi"), {"role": "function", "content": "x"}]}, "messages[1].role"),
        ({"messages": [user("hi")], "tools": [{"type": "web_search"}]}, "tools[0]"),
        ({"messages": [user("hi")], "tools": [WEATHER], "tool_choice": "sometimes"}, "tool_choice"),
        ({"messages": [user(42)]}, "messages[0].content"),
    ],
)
def test_untranslatable_input_is_a_bad_request(body: dict[str, Any], param: str) -> None:
    assert bad_param(body) == param


# --- whole answers ------------------------------------------------------------------------


def answer(content: list[dict[str, Any]], stop_reason: str | None = "end_turn") -> bytes:
    return json.dumps(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-x-2025",
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": 10,
                "output_tokens": 7,
                "cache_read_input_tokens": 4,
                "cache_creation_input_tokens": 2,
            },
        }
    ).encode()


def test_text_answer_becomes_chat_completion() -> None:
    content, usage = to_openai_response(
        answer(
            [
                {"type": "thinking", "thinking": "hmm", "signature": "s"},
                {"type": "text", "text": "Hello "},
                {"type": "text", "text": "world"},
            ]
        ),
        model="claude-x",
    )
    body = json.loads(content)
    assert body["id"] == "msg_1"
    assert body["object"] == "chat.completion"
    assert isinstance(body["created"], int)
    assert body["model"] == "claude-x-2025"
    assert body["choices"] == [
        {
            "index": 0,
            "logprobs": None,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "Hello world", "refusal": None},
        }
    ]
    assert body["usage"] == {
        "prompt_tokens": 16,
        "completion_tokens": 7,
        "total_tokens": 23,
        "prompt_tokens_details": {"cached_tokens": 4},
    }
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (16, 7, 4)


def test_tool_use_answer_becomes_tool_calls() -> None:
    content, _ = to_openai_response(
        answer(
            [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "weather",
                    "input": {"city": "Paris", "days": [1, 2]},
                },
                {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}},
            ],
            "tool_use",
        ),
        model="claude-x",
    )
    choice = json.loads(content)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [c["id"] for c in calls] == ["toolu_1", "toolu_2"]
    assert calls[0]["type"] == "function"
    assert calls[0]["function"]["name"] == "weather"
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Paris", "days": [1, 2]}
    assert json.loads(calls[1]["function"]["arguments"]) == {}


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        (None, "stop"),
    ],
)
def test_stop_reason_map(stop_reason: str | None, finish: str) -> None:
    content, _ = to_openai_response(answer([{"type": "text", "text": "x"}], stop_reason), model="m")
    assert json.loads(content)["choices"][0]["finish_reason"] == finish


def test_unreadable_answer_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        to_openai_response(b"<html>oops</html>", model="m")


# --- streams ------------------------------------------------------------------------------


class ScriptedResponse:
    """Stands in for UpstreamStreamResponse: yields the given raw chunks."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self.closed = False

    async def chunks(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def ev(kind: str, **data: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


def start(input_tokens: int = 10, cache_read: int = 4) -> bytes:
    return ev(
        "message_start",
        message={
            "id": "msg_s",
            "type": "message",
            "role": "assistant",
            "model": "claude-x-2025",
            "content": [],
            "stop_reason": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": 1,
                "cache_read_input_tokens": cache_read,
                "cache_creation_input_tokens": 0,
            },
        },
    )


def block(index: int, content_block: dict[str, Any]) -> bytes:
    return ev("content_block_start", index=index, content_block=content_block)


def delta(index: int, **d: Any) -> bytes:
    return ev("content_block_delta", index=index, delta=d)


def finish(stop_reason: str = "end_turn", output_tokens: int = 6) -> bytes:
    return ev(
        "message_delta",
        delta={"stop_reason": stop_reason, "stop_sequence": None},
        usage={"output_tokens": output_tokens},
    ) + ev("message_stop")


TEXT_STREAM = b"".join(
    [
        start(),
        ev("ping"),
        block(0, {"type": "thinking", "thinking": ""}),
        delta(0, type="thinking_delta", thinking="secret thoughts"),
        delta(0, type="signature_delta", signature="sig"),
        ev("content_block_stop", index=0),
        block(1, {"type": "text", "text": ""}),
        delta(1, type="text_delta", text="Hello"),
        ev("ping"),
        delta(1, type="text_delta", text=" world"),
        ev("content_block_stop", index=1),
        finish(),
    ]
)


async def collect(
    chunks: list[bytes], include_usage: bool = False
) -> tuple[list[Any], AnthropicStream]:
    stream = AnthropicStream(
        ScriptedResponse(chunks),  # type: ignore[arg-type]
        model="claude-x",
        include_usage=include_usage,
    )
    raw = b"".join([piece async for piece in stream])
    events = [e.removeprefix(b"data: ") for e in raw.split(b"\n\n") if e]
    assert events[-1] == b"[DONE]"
    return [json.loads(e) for e in events[:-1]], stream


def deltas(chunks: list[Any]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


async def test_text_stream_becomes_openai_chunks_without_usage_chunk() -> None:
    chunks, stream = await collect([TEXT_STREAM])
    assert deltas(chunks) == [
        {"role": "assistant", "content": ""},
        {"content": "Hello"},
        {"content": " world"},
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, None, "stop"]
    assert all(
        c["object"] == "chat.completion.chunk"
        and c["id"] == "msg_s"
        and c["model"] == "claude-x-2025"
        for c in chunks
    )
    assert "secret" not in json.dumps(chunks)
    assert stream.usage is not None
    assert (
        stream.usage.prompt_tokens,
        stream.usage.completion_tokens,
        stream.usage.cached_tokens,
    ) == (14, 6, 4)
    assert stream.first_chunk_at is not None


async def test_usage_chunk_comes_last_when_requested() -> None:
    chunks, _ = await collect([TEXT_STREAM], include_usage=True)
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 14,
        "completion_tokens": 6,
        "total_tokens": 20,
        "prompt_tokens_details": {"cached_tokens": 4},
    }
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("size", [1, 7, 64])
async def test_events_split_across_chunks_and_crlf_endings(size: int) -> None:
    expected, _ = await collect([TEXT_STREAM], include_usage=True)
    crlf = TEXT_STREAM.replace(b"\n", b"\r\n")
    pieces = [crlf[i : i + size] for i in range(0, len(crlf), size)]
    chunks, _ = await collect(pieces, include_usage=True)
    assert deltas(chunks) == deltas(expected)
    assert chunks[-1]["usage"] == expected[-1]["usage"]


async def test_tool_use_stream_uses_tool_positions_and_reassembles_arguments() -> None:
    raw = b"".join(
        [
            start(),
            block(0, {"type": "text", "text": ""}),
            delta(0, type="text_delta", text="Checking."),
            ev("content_block_stop", index=0),
            block(1, {"type": "tool_use", "id": "toolu_a", "name": "weather", "input": {}}),
            delta(1, type="input_json_delta", partial_json=""),
            delta(1, type="input_json_delta", partial_json='{"city": '),
            delta(1, type="input_json_delta", partial_json='"Paris"}'),
            ev("content_block_stop", index=1),
            block(2, {"type": "tool_use", "id": "toolu_b", "name": "now", "input": {}}),
            delta(2, type="input_json_delta", partial_json="{}"),
            ev("content_block_stop", index=2),
            finish("tool_use"),
        ]
    )
    chunks, _ = await collect([raw])
    calls = [d["tool_calls"][0] for d in deltas(chunks) if "tool_calls" in d]
    assert calls[0] == {
        "index": 0,
        "id": "toolu_a",
        "type": "function",
        "function": {"name": "weather", "arguments": ""},
    }
    assert calls[3] == {
        "index": 1,
        "id": "toolu_b",
        "type": "function",
        "function": {"name": "now", "arguments": ""},
    }
    assert all("id" not in c and "name" not in c["function"] for c in calls[1:3] + calls[4:])
    arguments: dict[int, str] = {}
    for call in calls:
        arguments[call["index"]] = arguments.get(call["index"], "") + call["function"]["arguments"]
    assert json.loads(arguments[0]) == {"city": "Paris"}
    assert json.loads(arguments[1]) == {}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_max_tokens_stop_reason_is_length() -> None:
    raw = start() + block(0, {"type": "text", "text": ""}) + finish("max_tokens")
    chunks, _ = await collect([raw])
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize(
    ("error_type", "cls"),
    [("overloaded_error", UpstreamUnavailableError), ("api_error", UpstreamError)],
)
async def test_error_event_raises_upstream_error(error_type: str, cls: type[Exception]) -> None:
    raw = start() + ev("error", error={"type": error_type, "message": "Things went wrong"})
    stream = AnthropicStream(
        ScriptedResponse([raw]),  # type: ignore[arg-type]
        model="m",
        include_usage=False,
    )
    with pytest.raises(UpstreamError) as caught:
        async for _ in stream:
            pass
    assert type(caught.value) is cls
    assert "Things went wrong" in caught.value.message


async def test_stream_cut_before_message_stop_is_an_error() -> None:
    stream = AnthropicStream(
        ScriptedResponse([start()]),  # type: ignore[arg-type]
        model="m",
        include_usage=False,
    )
    with pytest.raises(UpstreamUnavailableError):
        async for _ in stream:
            pass


async def test_aclose_closes_the_upstream_response() -> None:
    response = ScriptedResponse([TEXT_STREAM])
    stream = AnthropicStream(response, model="m", include_usage=False)  # type: ignore[arg-type]
    await stream.aclose()
    await stream.aclose()
    assert response.closed
