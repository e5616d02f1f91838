"""Anthropic Messages answers → OpenAI ``chat.completion`` bodies and chunk streams."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import msgspec

from app.errors import UpstreamError, UpstreamUnavailableError
from app.providers.base import ProviderStream, Usage
from app.providers.sse import sse_event
from app.providers.transport import UpstreamStreamResponse

__all__ = ["AnthropicStream", "finish_reason", "to_openai_response"]

FINISH_REASONS: Mapping[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_EVENT_END = re.compile(rb"\r?\n\r?\n")
_DONE = b"data: [DONE]\n\n"


class _Usage(msgspec.Struct):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None


class _Block(msgspec.Struct):
    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: msgspec.Raw = msgspec.Raw()


class _Message(msgspec.Struct):
    id: str = ""
    model: str = ""
    content: list[_Block] = []
    stop_reason: str | None = None
    usage: _Usage | None = None


class _Delta(msgspec.Struct):
    type: str | None = None
    text: str | None = None
    partial_json: str | None = None
    stop_reason: str | None = None


class _Error(msgspec.Struct):
    type: str = "api_error"
    message: str = ""


class _Event(msgspec.Struct):
    type: str
    message: _Message | None = None
    index: int | None = None
    content_block: _Block | None = None
    delta: _Delta | None = None
    usage: _Usage | None = None
    error: _Error | None = None


_decode_message = msgspec.json.Decoder(_Message).decode
_decode_event = msgspec.json.Decoder(_Event).decode
_encode = msgspec.json.encode


def finish_reason(stop_reason: str | None) -> str:
    return FINISH_REASONS.get(stop_reason or "", "stop")


def _usage(counts: _Usage) -> Usage:
    cache_read = counts.cache_read_input_tokens or 0
    cache_creation = counts.cache_creation_input_tokens or 0
    return Usage(
        prompt_tokens=(counts.input_tokens or 0) + cache_read + cache_creation,
        completion_tokens=counts.output_tokens or 0,
        cached_tokens=cache_read,
    )


def _openai_usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    }


def _arguments(raw: msgspec.Raw) -> str:
    """The tool input as the JSON text OpenAI's ``arguments`` carries."""
    text = bytes(raw).decode()
    return text if text and text != "null" else "{}"


def to_openai_response(content: bytes, *, model: str) -> tuple[bytes, Usage]:
    """The ``chat.completion`` body for one Messages answer, and its usage."""
    try:
        answer = _decode_message(content)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise UpstreamError("anthropic returned an unreadable answer") from None
    texts = [block.text or "" for block in answer.content if block.type == "text"]
    tool_calls = [
        {
            "id": block.id,
            "type": "function",
            "function": {"name": block.name, "arguments": _arguments(block.input)},
        }
        for block in answer.content
        if block.type == "tool_use"
    ]
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts else None,
        "refusal": None,
    }
    if tool_calls:
        message["tool_calls"] = tool_calls
    usage = _usage(answer.usage or _Usage())
    body = {
        "id": answer.id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.model or model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason(answer.stop_reason),
            }
        ],
        "usage": _openai_usage(usage),
    }
    return _encode(body), usage


def _data_of(event: bytes) -> bytes | None:
    """The ``data:`` payload of one SSE event (multi-line data joined), if any."""
    lines = [
        line[5:].removeprefix(b" ") for line in event.splitlines() if line.startswith(b"data:")
    ]
    return b"\n".join(lines) if lines else None


class AnthropicStream(ProviderStream):
    """Translates Anthropic stream events into OpenAI ``chat.completion.chunk`` events.

    Usage is recorded whether or not the caller asked for it; the usage-only chunk is
    sent only when ``include_usage`` was requested.
    """

    def __init__(
        self, response: UpstreamStreamResponse, *, model: str, include_usage: bool
    ) -> None:
        super().__init__()
        self._response = response
        self._include_usage = include_usage
        self._id = ""
        self._model = model
        self._created = int(time.time())
        self._counts = _Usage()
        self._tool_indexes: dict[int, int] = {}
        self._finished = False
        self._done = False
        self._handlers: Mapping[str, Callable[[_Event], list[bytes]]] = {
            "message_start": self._on_message_start,
            "content_block_start": self._on_block_start,
            "content_block_delta": self._on_block_delta,
            "message_delta": self._on_message_delta,
            "message_stop": self._on_message_stop,
            "error": self._on_error,
        }

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._events()

    async def aclose(self) -> None:
        await self._response.aclose()

    async def _events(self) -> AsyncIterator[bytes]:
        pending = b""
        async for chunk in self._response.chunks():
            self._mark_first_chunk()
            data = pending + chunk if pending else chunk
            out: list[bytes] = []
            position = 0
            for match in _EVENT_END.finditer(data):
                out.extend(self._translate(data[position : match.start()]))
                position = match.end()
            pending = data[position:]
            if out:
                yield b"".join(out)
        if pending.strip():
            tail = self._translate(pending)
            if tail:
                yield b"".join(tail)
        if not self._done:
            raise UpstreamUnavailableError("anthropic: the stream ended before message_stop")

    def _translate(self, raw: bytes) -> list[bytes]:
        data = _data_of(raw)
        if data is None or self._done:
            return []
        try:
            event = _decode_event(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise UpstreamError("anthropic sent an unreadable stream event") from None
        handler = self._handlers.get(event.type)
        return handler(event) if handler is not None else []

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
            **extra,
        }
        return sse_event(_encode(chunk))

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return self._event([choice])

    def _count(self, usage: _Usage | None) -> None:
        if usage is None:
            return
        for name in _Usage.__struct_fields__:
            value = getattr(usage, name)
            if value is not None:
                setattr(self._counts, name, value)
        self.usage = _usage(self._counts)

    def _on_message_start(self, event: _Event) -> list[bytes]:
        message = event.message or _Message()
        self._id = message.id
        self._model = message.model or self._model
        self._count(message.usage)
        return [self._chunk({"role": "assistant", "content": ""})]

    def _on_block_start(self, event: _Event) -> list[bytes]:
        block = event.content_block
        if block is None:
            return []
        if block.type == "text" and block.text:
            return [self._chunk({"content": block.text})]
        if block.type != "tool_use" or event.index is None:
            return []
        position = self._tool_indexes[event.index] = len(self._tool_indexes)
        call = {
            "index": position,
            "id": block.id,
            "type": "function",
            "function": {"name": block.name, "arguments": ""},
        }
        return [self._chunk({"tool_calls": [call]})]

    def _on_block_delta(self, event: _Event) -> list[bytes]:
        delta = event.delta
        if delta is None:
            return []
        if delta.type == "text_delta" and delta.text:
            return [self._chunk({"content": delta.text})]
        if delta.type == "input_json_delta" and delta.partial_json:
            position = self._tool_indexes.get(event.index if event.index is not None else -1)
            if position is not None:
                call = {"index": position, "function": {"arguments": delta.partial_json}}
                return [self._chunk({"tool_calls": [call]})]
        return []

    def _on_message_delta(self, event: _Event) -> list[bytes]:
        self._count(event.usage)
        if event.delta is None or event.delta.stop_reason is None:
            return []
        self._finished = True
        return [self._chunk({}, finish_reason(event.delta.stop_reason))]

    def _on_message_stop(self, event: _Event) -> list[bytes]:
        self._done = True
        out = [] if self._finished else [self._chunk({}, "stop")]
        if self._include_usage:
            out.append(self._event([], usage=_openai_usage(self.usage or Usage())))
        out.append(_DONE)
        return out

    def _on_error(self, event: _Event) -> list[bytes]:
        error = event.error or _Error()
        message = f"anthropic: {error.message or error.type}"
        if error.type == "overloaded_error":
            raise UpstreamUnavailableError(message)
        raise UpstreamError(message, code=error.type)
