"""Relaying a native Responses stream: events pass through as bytes; usage is read from
the final ``response.completed`` (or ``.incomplete`` / ``.failed``) event."""

from __future__ import annotations

import msgspec

from app.providers.base import Usage
from app.providers.sse import OpenAIStreamRelay

__all__ = ["ResponsesStreamRelay"]


class _Details(msgspec.Struct):
    cached_tokens: int | None = 0


class _Usage(msgspec.Struct):
    input_tokens: int | None = 0
    output_tokens: int | None = 0
    input_tokens_details: _Details | None = None


class _Response(msgspec.Struct):
    usage: _Usage | None = None


class _Event(msgspec.Struct):
    response: _Response | None = None


_decode_event = msgspec.json.Decoder(_Event).decode


class ResponsesStreamRelay(OpenAIStreamRelay):
    """Every event is forwarded as the upstream wrote it."""

    def _inspect(self, event: bytes) -> bool:
        if b'"usage"' not in event or b'"response.' not in event:
            return True
        start = event.find(b"{")
        if start < 0:
            return True
        try:
            usage = _decode_event(event[start:]).response
        except (msgspec.DecodeError, msgspec.ValidationError):
            return True
        if usage is not None and usage.usage is not None:
            details = usage.usage.input_tokens_details
            self.usage = Usage(
                prompt_tokens=usage.usage.input_tokens or 0,
                completion_tokens=usage.usage.output_tokens or 0,
                cached_tokens=(details.cached_tokens or 0) if details else 0,
            )
        return True
