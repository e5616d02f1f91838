"""OpenAI ``chat.completion.chunk`` streams → Anthropic Messages stream events.

Events come in the order the Anthropic SDKs expect: one ``message_start`` (input usage
estimated, since chat streams report usage only at their end), a ``ping``, then per
content block ``content_block_start``, its deltas (``text_delta``, ``thinking_delta``,
``input_json_delta`` carrying every piece of the tool arguments) and
``content_block_stop``, then ``message_delta`` with the stop reason and the real usage,
and ``message_stop``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from app.errors import UpstreamError, UpstreamUnavailableError
from app.messages.response import anthropic_usage, message_id, stop_reason
from app.providers.base import ProviderStream, Usage

__all__ = ["ChatToMessagesStream", "anthropic_event"]

_EVENT_END = re.compile(rb"\r?\n\r?\n")
_encode = msgspec.json.encode


def anthropic_event(kind: str, data: dict[str, Any]) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + _encode({"type": kind, **data}) + b"\n\n"


def _data_of(event: bytes) -> bytes | None:
    lines = [
        line[5:].removeprefix(b" ") for line in event.splitlines() if line.startswith(b"data:")
    ]
    return b"\n".join(lines) if lines else None


class ChatToMessagesStream(ProviderStream):
    """Wraps a chat stream (asked with usage) and yields Anthropic events."""

    def __init__(self, inner: ProviderStream, *, model: str, input_estimate: int) -> None:
        super().__init__()
        self.inner = inner
        self._model = model
        self._input_estimate = input_estimate
        self._started = False
        self._block = -1
        self._open: str | None = None
        self._tools: dict[int, int] = {}
        self._tool_ids: dict[int, str] = {}
        self._finish: str | None = None
        self._done = False
        self._upstream_done = False
        self._chars = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._events()

    async def aclose(self) -> None:
        self.usage = self.usage or self.inner.usage
        await self.inner.aclose()

    async def _events(self) -> AsyncIterator[bytes]:
        pending = b""
        async for chunk in self.inner:
            if self.first_chunk_at is None:
                self.first_chunk_at = self.inner.first_chunk_at
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
        tail = self._translate(pending) if pending.strip() else []
        self.usage = self.inner.usage
        if self._finish is None and not self._upstream_done:
            raise UpstreamUnavailableError("the upstream stream ended without an answer")
        yield b"".join(tail + self._finish_events())

    def _translate(self, raw: bytes) -> list[bytes]:
        data = _data_of(raw)
        if data is None or self._done:
            return []
        if data.strip() == b"[DONE]":
            self._upstream_done = True
            return []
        try:
            chunk = msgspec.json.decode(data)
        except msgspec.DecodeError:
            raise UpstreamError("the upstream sent an unreadable stream event") from None
        if not isinstance(chunk, dict):
            return []
        if isinstance(chunk.get("error"), dict):
            raise UpstreamError(str(chunk["error"].get("message") or "upstream stream error"))
        out = self._start(chunk)
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict):
                out.extend(self._choice(choice))
        return out

    def _start(self, chunk: dict[str, Any]) -> list[bytes]:
        if self._started:
            return []
        self._started = True
        usage = {**anthropic_usage(Usage(prompt_tokens=self._input_estimate)), "output_tokens": 1}
        message: dict[str, Any] = {
            "id": message_id(chunk.get("id")),
            "type": "message",
            "role": "assistant",
            "model": chunk.get("model") or self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        return [anthropic_event("message_start", {"message": message}), anthropic_event("ping", {})]

    def _choice(self, choice: dict[str, Any]) -> list[bytes]:
        out: list[bytes] = []
        delta = choice.get("delta") or {}
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            self._chars += len(reasoning)
            out.extend(self._open_block("thinking", {"thinking": "", "signature": ""}))
            out.append(self._delta({"type": "thinking_delta", "thinking": reasoning}))
        if isinstance(delta.get("content"), str) and delta["content"]:
            self._chars += len(delta["content"])
            out.extend(self._open_block("text", {"text": ""}))
            out.append(self._delta({"type": "text_delta", "text": delta["content"]}))
        for call in delta.get("tool_calls") or []:
            if isinstance(call, dict):
                out.extend(self._tool_call(call))
        if choice.get("finish_reason"):
            self._finish = str(choice["finish_reason"])
        return out

    def _tool_call(self, call: dict[str, Any]) -> list[bytes]:
        out: list[bytes] = []
        index = call.get("index", 0)
        function = call.get("function") or {}
        call_id = call.get("id")
        if call_id and self._tool_ids.get(index, call_id) != call_id:
            # A new call under a used index (some servers number every call 0).
            del self._tools[index]
        if index not in self._tools:
            self._tool_ids[index] = call_id or ""
            start: dict[str, Any] = {
                "id": call.get("id") or "",
                "name": function.get("name") or "",
                "input": {},
            }
            out.extend(self._open_block("tool_use", start, force=True))
            self._tools[index] = self._block
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            self._chars += len(arguments)
            delta = {"type": "input_json_delta", "partial_json": arguments}
            out.append(self._delta(delta, self._tools[index]))
        return out

    def _open_block(self, kind: str, fields: dict[str, Any], *, force: bool = False) -> list[bytes]:
        if self._open == kind and not force:
            return []
        out = self._close_block()
        self._block += 1
        self._open = kind
        block = {"index": self._block, "content_block": {"type": kind, **fields}}
        out.append(anthropic_event("content_block_start", block))
        return out

    def _close_block(self) -> list[bytes]:
        if self._open is None:
            return []
        self._open = None
        return [anthropic_event("content_block_stop", {"index": self._block})]

    def _delta(self, delta: dict[str, Any], index: int | None = None) -> bytes:
        block = self._block if index is None else index
        return anthropic_event("content_block_delta", {"index": block, "delta": delta})

    def _finish_events(self) -> list[bytes]:
        if self._done:
            return []
        self._done = True
        out = self._start({}) + self._close_block()
        if self.usage is None:
            # The upstream reported no usage: estimate it (about four characters a token).
            output = -(-self._chars // 4)
            self.usage = Usage(prompt_tokens=self._input_estimate, completion_tokens=output)
        usage = anthropic_usage(self.usage)
        delta = {"stop_reason": stop_reason(self._finish), "stop_sequence": None}
        out.append(anthropic_event("message_delta", {"delta": delta, "usage": usage}))
        out.append(anthropic_event("message_stop", {}))
        return out
