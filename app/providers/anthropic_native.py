"""Anthropic Messages calls passed through as they came: bodies and stream bytes are
relayed unchanged (thinking blocks, signatures and cache-control blocks intact); only
usage is read, for spend."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from app.errors import UpstreamError, UpstreamUnavailableError
from app.providers.anthropic_response import _Usage as _Counts
from app.providers.anthropic_response import _usage as to_usage
from app.providers.base import ProviderCall, ProviderStream, Usage
from app.providers.transport import UpstreamStreamResponse

__all__ = ["NativeMessagesStream", "answer_usage", "beta_headers", "native_body"]

_EVENT_END = re.compile(rb"\r?\n\r?\n")


class _Message(msgspec.Struct):
    usage: _Counts | None = None


class _ErrorBody(msgspec.Struct):
    type: str = "api_error"
    message: str = ""


class _Event(msgspec.Struct):
    type: str = ""
    message: _Message | None = None
    usage: _Counts | None = None
    error: _ErrorBody | None = None


_decode_message = msgspec.json.Decoder(_Message).decode
_decode_event = msgspec.json.Decoder(_Event).decode


_CHAT_ONLY = frozenset(
    {
        "frequency_penalty",
        "logprobs",
        "max_completion_tokens",
        "n",
        "parallel_tool_calls",
        "presence_penalty",
        "response_format",
        "seed",
        "stop",
        "stream_options",
        "user",
    }
)
"""OpenAI chat fields a deployment's defaults may carry (they serve its chat calls) that
the Messages API would refuse; a caller's Messages body never holds them."""


def native_body(call: ProviderCall, *, stream: bool) -> dict[str, Any]:
    """The caller's Messages body (the router has set the upstream model and merged the
    deployment's defaults, less the chat-only ones)."""
    body = {k: v for k, v in call.body.items() if k not in _CHAT_ONLY}
    body.pop("stream", None)
    body.pop("anthropic_beta", None)
    if stream:
        body["stream"] = True
    return body


def beta_headers(call: ProviderCall) -> dict[str, str]:
    """``anthropic-beta`` from the body's ``anthropic_beta`` list (Bedrock's spelling, which
    the gateway's route fills from the caller's header)."""
    betas = call.body.get("anthropic_beta")
    if isinstance(betas, list) and betas:
        return {"anthropic-beta": ",".join(str(b) for b in betas)}
    return {}


def answer_usage(content: bytes) -> Usage | None:
    try:
        message = _decode_message(content)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise UpstreamError("anthropic returned an unreadable answer") from None
    return to_usage(message.usage) if message.usage is not None else None


class NativeMessagesStream(ProviderStream):
    """Relays the upstream's SSE bytes as they arrive, reading usage on the way."""

    def __init__(self, response: UpstreamStreamResponse) -> None:
        super().__init__()
        self._response = response
        self._counts = _Counts()
        self._stopped = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._relay()

    async def aclose(self) -> None:
        await self._response.aclose()

    async def _relay(self) -> AsyncIterator[bytes]:
        pending = b""
        async for chunk in self._response.chunks():
            self._mark_first_chunk()
            data = pending + chunk if pending else chunk
            position = 0
            for match in _EVENT_END.finditer(data):
                self._inspect(data[position : match.start()])
                position = match.end()
            pending = data[position:]
            yield chunk
        if pending.strip():
            self._inspect(pending)
        if not self._stopped:
            raise UpstreamUnavailableError("anthropic: the stream ended before message_stop")

    def _inspect(self, event: bytes) -> None:
        if b"message_start" not in event and b"message_delta" not in event:
            self._stopped = self._stopped or b"message_stop" in event or b'"error"' in event
            return
        lines = [line[5:].strip() for line in event.splitlines() if line.startswith(b"data:")]
        try:
            parsed = _decode_event(b"\n".join(lines))
        except (msgspec.DecodeError, msgspec.ValidationError):
            return
        counts = parsed.message.usage if parsed.message is not None else parsed.usage
        if counts is None:
            return
        for name in _Counts.__struct_fields__:
            value = getattr(counts, name)
            if value is not None:
                setattr(self._counts, name, value)
        self.usage = to_usage(self._counts)
