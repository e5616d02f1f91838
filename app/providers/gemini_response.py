"""Gemini ``generateContent`` answers → OpenAI ``chat.completion`` bodies and chunk streams."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import msgspec

from app.errors import UpstreamError, UpstreamUnavailableError
from app.providers.base import ProviderStream, Usage
from app.providers.sse import sse_event
from app.providers.transport import UpstreamStreamResponse

__all__ = ["SIGNATURE_MARK", "GeminiStream", "finish_reason", "to_openai_response"]

FINISH_REASONS: Mapping[str, str] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
SIGNATURE_MARK = "__thought__"
"""Separates a tool call id from the Gemini thought signature carried in it."""
_EVENT_END = re.compile(rb"\r?\n\r?\n")
_DONE = b"data: [DONE]\n\n"


class _UsageMetadata(msgspec.Struct, rename="camel"):
    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    thoughts_token_count: int | None = None
    cached_content_token_count: int | None = None


class _FunctionCall(msgspec.Struct):
    name: str = ""
    args: msgspec.Raw = msgspec.Raw()


class _Part(msgspec.Struct, rename="camel"):
    text: str | None = None
    thought: bool | None = None
    function_call: _FunctionCall | None = None
    thought_signature: str | None = None


class _Content(msgspec.Struct):
    parts: list[_Part] = []


class _Candidate(msgspec.Struct, rename="camel"):
    content: _Content | None = None
    finish_reason: str | None = None
    index: int = 0


class _PromptFeedback(msgspec.Struct, rename="camel"):
    block_reason: str | None = None


class _Error(msgspec.Struct):
    code: int = 500
    message: str = ""
    status: str = ""


class _Answer(msgspec.Struct, rename="camel"):
    candidates: list[_Candidate] = []
    usage_metadata: _UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None
    prompt_feedback: _PromptFeedback | None = None
    error: _Error | None = None


_decode_answer = msgspec.json.Decoder(_Answer).decode
_encode = msgspec.json.encode


def finish_reason(reason: str | None, *, tool_calls: bool) -> str:
    if tool_calls and reason in (None, "STOP"):
        return "tool_calls"
    return FINISH_REASONS.get(reason or "", "stop")


def _usage(meta: _UsageMetadata) -> tuple[Usage, int]:
    """The usage, and the reasoning (thought) tokens counted in its completion tokens."""
    thoughts = meta.thoughts_token_count or 0
    usage = Usage(
        prompt_tokens=meta.prompt_token_count or 0,
        completion_tokens=(meta.candidates_token_count or 0) + thoughts,
        cached_tokens=meta.cached_content_token_count or 0,
    )
    return usage, thoughts


def _openai_usage(usage: Usage, reasoning: int) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def _arguments(raw: msgspec.Raw) -> str:
    text = bytes(raw).decode()
    return text if text and text != "null" else "{}"


def _call_id(signature: str | None) -> str:
    """A new tool call id; a thought signature rides along in it, so that the caller's
    echo of the call brings it back (Gemini's thinking models require it)."""
    call_id = f"call_{uuid.uuid4().hex[:24]}"
    return f"{call_id}{SIGNATURE_MARK}{signature}" if signature else call_id


def _split(candidate: _Candidate) -> tuple[str, list[dict[str, Any]]]:
    """The visible text and the tool calls of one candidate (thoughts are left out)."""
    parts = candidate.content.parts if candidate.content else []
    text = "".join(p.text or "" for p in parts if p.text and not p.thought)
    calls = [
        {
            "id": _call_id(p.thought_signature),
            "type": "function",
            "function": {
                "name": p.function_call.name,
                "arguments": _arguments(p.function_call.args),
            },
        }
        for p in parts
        if p.function_call is not None
    ]
    return text, calls


def _decode(content: bytes) -> _Answer:
    try:
        return _decode_answer(content)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise UpstreamError("gemini returned an unreadable answer") from None


def to_openai_response(content: bytes, *, model: str) -> tuple[bytes, Usage]:
    """The ``chat.completion`` body for one ``generateContent`` answer, and its usage."""
    answer = _decode(content)
    choices = []
    for candidate in answer.candidates:
        text, calls = _split(candidate)
        message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        choices.append(
            {
                "index": candidate.index,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason(candidate.finish_reason, tool_calls=bool(calls)),
            }
        )
    if not choices and answer.prompt_feedback and answer.prompt_feedback.block_reason:
        message = {"role": "assistant", "content": None, "refusal": None}
        choices.append(
            {"index": 0, "message": message, "logprobs": None, "finish_reason": "content_filter"}
        )
    usage, reasoning = _usage(answer.usage_metadata or _UsageMetadata())
    body = {
        "id": f"chatcmpl-{answer.response_id or uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.model_version or model,
        "choices": choices,
        "usage": _openai_usage(usage, reasoning),
    }
    return _encode(body), usage


def _data_of(event: bytes) -> bytes | None:
    lines = [
        line[5:].removeprefix(b" ") for line in event.splitlines() if line.startswith(b"data:")
    ]
    return b"\n".join(lines) if lines else None


class GeminiStream(ProviderStream):
    """Translates ``streamGenerateContent?alt=sse`` events into OpenAI chunk events.

    Gemini's stream has no end event: it is complete when every candidate has a
    finish reason by the time the connection closes. Usage is recorded whether or not
    the caller asked for it; the usage-only chunk is sent only with ``include_usage``.
    """

    def __init__(
        self, response: UpstreamStreamResponse, *, model: str, include_usage: bool
    ) -> None:
        super().__init__()
        self._response = response
        self._include_usage = include_usage
        self._id = f"chatcmpl-{uuid.uuid4().hex}"
        self._model = model
        self._created = int(time.time())
        self._reasoning = 0
        self._started: set[int] = set()
        self._finished: set[int] = set()
        self._tool_counts: dict[int, int] = {}

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
        if not self._finished or self._finished != self._started:
            raise UpstreamUnavailableError("gemini: the stream ended before a finish reason")
        tail = []
        if self._include_usage:
            tail.append(
                self._event([], usage=_openai_usage(self.usage or Usage(), self._reasoning))
            )
        tail.append(_DONE)
        yield b"".join(tail)

    def _translate(self, raw: bytes) -> list[bytes]:
        data = _data_of(raw)
        if data is None:
            return []
        try:
            answer = _decode_answer(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise UpstreamError("gemini sent an unreadable stream event") from None
        if answer.error is not None:
            self._raise(answer.error)
        if answer.model_version:
            self._model = answer.model_version
        if answer.usage_metadata is not None:
            self.usage, self._reasoning = _usage(answer.usage_metadata)
        out: list[bytes] = []
        for candidate in answer.candidates:
            out.extend(self._candidate(candidate))
        if not answer.candidates and answer.prompt_feedback and answer.prompt_feedback.block_reason:
            out.extend(self._start(0))
            self._finished.add(0)
            out.append(self._chunk(0, {}, "content_filter"))
        return out

    def _start(self, index: int) -> list[bytes]:
        if index in self._started:
            return []
        self._started.add(index)
        return [self._chunk(index, {"role": "assistant", "content": ""})]

    def _candidate(self, candidate: _Candidate) -> list[bytes]:
        index = candidate.index
        out = self._start(index)
        text, calls = _split(candidate)
        if text:
            out.append(self._chunk(index, {"content": text}))
        if calls:
            first = self._tool_counts.get(index, 0)
            self._tool_counts[index] = first + len(calls)
            deltas = [{"index": first + i, **call} for i, call in enumerate(calls)]
            out.append(self._chunk(index, {"tool_calls": deltas}))
        if candidate.finish_reason is not None and index not in self._finished:
            self._finished.add(index)
            reason = finish_reason(
                candidate.finish_reason, tool_calls=self._tool_counts.get(index, 0) > 0
            )
            out.append(self._chunk(index, {}, reason))
        return out

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

    def _chunk(self, index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return self._event(
            [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]
        )

    @staticmethod
    def _raise(error: _Error) -> None:
        message = f"gemini: {error.message or error.status}"
        if error.code == 429 or error.status == "RESOURCE_EXHAUSTED":
            raise UpstreamError(
                message, status_code=429, retryable=True, code="rate_limit_exceeded"
            )
        if error.code == 503 or error.status == "UNAVAILABLE":
            raise UpstreamUnavailableError(message)
        raise UpstreamError(message, code=error.status or None)
