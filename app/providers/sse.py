"""Relaying OpenAI-format SSE: events pass through as bytes; only usage is read."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import msgspec

from app.providers.base import ProviderStream, Usage
from app.providers.transport import UpstreamStreamResponse

__all__ = ["OpenAIStreamRelay", "sse_event"]

_EVENT_END = re.compile(rb"\r?\n\r?\n")


class _PromptDetails(msgspec.Struct):
    cached_tokens: int | None = 0


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0
    prompt_tokens_details: _PromptDetails | None = None


class _UsageChunk(msgspec.Struct):
    usage: _Usage | None = None
    choices: list[msgspec.Raw] = []


_decode_chunk = msgspec.json.Decoder(_UsageChunk).decode


def sse_event(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


class OpenAIStreamRelay(ProviderStream):
    """Passes an OpenAI-compatible upstream stream through, event by event.

    Events are forwarded as the upstream wrote them. Only events that mention usage are
    decoded. When the gateway asked for usage on the caller's behalf, the usage-only
    final chunk is kept from the caller.
    """

    def __init__(self, response: UpstreamStreamResponse, *, forward_usage_chunk: bool) -> None:
        super().__init__()
        self._response = response
        self._forward_usage_chunk = forward_usage_chunk

    def _inspect(self, event: bytes) -> bool:
        """Record usage; return False when the event must not reach the caller."""
        if b'"usage"' not in event:
            return True
        start = event.find(b"{")
        if start < 0:
            return True
        try:
            chunk = _decode_chunk(event[start:])
        except msgspec.DecodeError:
            return True
        if chunk.usage is not None:
            details = chunk.usage.prompt_tokens_details
            self.usage = Usage(
                prompt_tokens=chunk.usage.prompt_tokens or 0,
                completion_tokens=chunk.usage.completion_tokens or 0,
                cached_tokens=(details.cached_tokens or 0) if details else 0,
            )
            if not chunk.choices and not self._forward_usage_chunk:
                return False
        return True

    async def _events(self) -> AsyncIterator[bytes]:
        pending = b""
        async for chunk in self._response.chunks():
            self._mark_first_chunk()
            data = pending + chunk if pending else chunk
            out: list[bytes] = []
            position = 0
            for match in _EVENT_END.finditer(data):
                event = data[position : match.end()]
                position = match.end()
                if self._inspect(event):
                    out.append(event)
            pending = data[position:]
            if out:
                yield out[0] if len(out) == 1 else b"".join(out)
        if pending.strip() and self._inspect(pending):
            yield pending

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._events()

    async def aclose(self) -> None:
        await self._response.aclose()
