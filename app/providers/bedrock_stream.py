"""Bedrock ConverseStream (AWS event-stream frames) → OpenAI ``chat.completion.chunk`` SSE.

Frames are decoded, with their CRC checks, by botocore's event-stream parser; a frame
split across network chunks waits in its buffer until it is whole.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import msgspec
from botocore.eventstream import EventStreamBuffer, ParserError

from app.errors import UpstreamError, UpstreamUnavailableError
from app.providers.base import ProviderStream, Usage
from app.providers.bedrock_response import (
    completion_id,
    finish_reason,
    openai_usage,
    stream_exception,
    usage_of,
)
from app.providers.sse import sse_event
from app.providers.transport import UpstreamStreamResponse

__all__ = ["BedrockStream", "EventDecoder"]

_DONE = b"data: [DONE]\n\n"
_encode = msgspec.json.encode

Event = tuple[str, str, bytes]
"""(message type, event or exception type, payload)."""


class EventDecoder:
    """Whole event-stream messages out of arbitrarily split bytes."""

    def __init__(self) -> None:
        self._buffer = EventStreamBuffer()

    def feed(self, data: bytes) -> list[Event]:
        self._buffer.add_data(data)
        events: list[Event] = []
        try:
            for message in self._buffer:
                headers = message.headers
                kind = str(headers.get(":message-type") or "event")
                if kind == "exception":
                    name = str(headers.get(":exception-type") or "exception")
                elif kind == "error":
                    name = str(headers.get(":error-code") or "error")
                else:
                    name = str(headers.get(":event-type") or "")
                events.append((kind, name, bytes(message.payload)))
        except ParserError:
            raise UpstreamError("bedrock sent an unreadable event-stream frame") from None
        return events


class BedrockStream(ProviderStream):
    """Translates ConverseStream events into OpenAI chunks.

    Usage is recorded whether or not the caller asked for it; the usage-only chunk is
    sent only when ``include_usage`` was requested.
    """

    def __init__(
        self, response: UpstreamStreamResponse, *, model: str, include_usage: bool
    ) -> None:
        super().__init__()
        self._response = response
        self._include_usage = include_usage
        self._id = completion_id()
        self._model = model
        self._created = int(time.time())
        self._tool_indexes: dict[int, int] = {}
        self._started = False
        self._stopped = False
        self._done = False
        self._handlers: Mapping[str, Callable[[dict[str, Any]], list[bytes]]] = {
            "messageStart": self._on_message_start,
            "contentBlockStart": self._on_block_start,
            "contentBlockDelta": self._on_block_delta,
            "messageStop": self._on_message_stop,
            "metadata": self._on_metadata,
        }

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._events()

    async def aclose(self) -> None:
        await self._response.aclose()

    async def _events(self) -> AsyncIterator[bytes]:
        decoder = EventDecoder()
        async for chunk in self._response.chunks():
            self._mark_first_chunk()
            out: list[bytes] = []
            for event in decoder.feed(chunk):
                out.extend(self._translate(event))
            if out:
                yield b"".join(out)
        if not self._stopped:
            raise UpstreamUnavailableError("bedrock: the stream ended before messageStop")
        if not self._done:
            yield b"".join(self._finish())

    def _translate(self, event: Event) -> list[bytes]:
        kind, name, payload = event
        if kind in ("exception", "error"):
            raise stream_exception(name, payload)
        handler = self._handlers.get(name)
        if handler is None or self._done:
            return []
        try:
            data: Any = msgspec.json.decode(payload) if payload else {}
        except msgspec.DecodeError:
            raise UpstreamError("bedrock sent an unreadable stream event") from None
        return handler(data if isinstance(data, dict) else {})

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

    def _role(self) -> list[bytes]:
        if self._started:
            return []
        self._started = True
        return [self._chunk({"role": "assistant", "content": ""})]

    def _on_message_start(self, data: dict[str, Any]) -> list[bytes]:
        return self._role()

    def _on_block_start(self, data: dict[str, Any]) -> list[bytes]:
        tool = (data.get("start") or {}).get("toolUse")
        if not isinstance(tool, dict):
            return []
        index = int(data.get("contentBlockIndex") or 0)
        position = self._tool_indexes[index] = len(self._tool_indexes)
        call = {
            "index": position,
            "id": tool.get("toolUseId"),
            "type": "function",
            "function": {"name": tool.get("name"), "arguments": ""},
        }
        return [*self._role(), self._chunk({"tool_calls": [call]})]

    def _on_block_delta(self, data: dict[str, Any]) -> list[bytes]:
        delta = data.get("delta") or {}
        if delta.get("text"):
            return [*self._role(), self._chunk({"content": str(delta["text"])})]
        tool = delta.get("toolUse")
        if isinstance(tool, dict) and tool.get("input"):
            position = self._tool_indexes.get(int(data.get("contentBlockIndex") or 0))
            if position is not None:
                call = {"index": position, "function": {"arguments": str(tool["input"])}}
                return [self._chunk({"tool_calls": [call]})]
        reasoning = delta.get("reasoningContent")
        if isinstance(reasoning, dict) and reasoning.get("text"):
            return [*self._role(), self._chunk({"reasoning_content": str(reasoning["text"])})]
        return []

    def _on_message_stop(self, data: dict[str, Any]) -> list[bytes]:
        self._stopped = True
        stop = data.get("stopReason")
        return [*self._role(), self._chunk({}, finish_reason(str(stop) if stop else None))]

    def _on_metadata(self, data: dict[str, Any]) -> list[bytes]:
        self.usage = usage_of(data.get("usage"))
        return self._finish() if self._stopped else []

    def _finish(self) -> list[bytes]:
        self._done = True
        out = []
        if self._include_usage:
            out.append(self._event([], usage=openai_usage(self.usage or Usage())))
        out.append(_DONE)
        return out
