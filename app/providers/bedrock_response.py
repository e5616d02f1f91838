"""Bedrock Converse answers and errors → OpenAI ``chat.completion`` bodies and gateway errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from app.errors import UpstreamError
from app.providers.base import Usage
from app.providers.upstream_errors import error_from_upstream

__all__ = [
    "bedrock_error",
    "completion_id",
    "finish_reason",
    "openai_usage",
    "stream_exception",
    "to_openai_response",
    "usage_of",
]

PROVIDER = "bedrock"

FINISH_REASONS: Mapping[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}

# Bedrock's error types and the HTTP status they stand for at the gateway.
_ERROR_STATUS: Mapping[str, int] = {
    "throttlingexception": 429,
    "servicequotaexceededexception": 429,
    "modelnotreadyexception": 503,
    "serviceunavailableexception": 503,
    "validationexception": 400,
    "accessdeniedexception": 403,
    "unrecognizedclientexception": 403,
    "invalidsignatureexception": 403,
    "expiredtokenexception": 403,
    "resourcenotfoundexception": 404,
    "modeltimeoutexception": 504,
    "modelerrorexception": 502,
    "modelstreamerrorexception": 502,
    "internalserverexception": 500,
}

_encode = msgspec.json.encode


def finish_reason(stop_reason: str | None) -> str:
    return FINISH_REASONS.get(stop_reason or "", "stop")


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage_of(counts: Mapping[str, Any] | None) -> Usage:
    counts = counts or {}
    cache_read = int(counts.get("cacheReadInputTokens") or 0)
    cache_write = int(counts.get("cacheWriteInputTokens") or 0)
    return Usage(
        prompt_tokens=int(counts.get("inputTokens") or 0) + cache_read + cache_write,
        completion_tokens=int(counts.get("outputTokens") or 0),
        cached_tokens=cache_read,
    )


def openai_usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    }


def _error_type(headers: Mapping[str, str], data: Any) -> str:
    raw = headers.get("x-amzn-errortype") or ""
    if not raw and isinstance(data, dict):
        raw = str(data.get("__type") or data.get("code") or "")
    return raw.split(":", 1)[0].rsplit("#", 1)[-1]


def bedrock_error(status: int, body: bytes, headers: Mapping[str, str]) -> Exception:
    """The gateway error for a Bedrock error answer (status, ``x-amzn-ErrorType``, message)."""
    try:
        data: Any = msgspec.json.decode(body)
    except msgspec.DecodeError:
        data = None
    kind = _error_type(headers, data)
    mapped = _ERROR_STATUS.get(kind.lower(), status)
    if isinstance(data, dict):
        message = data.get("message") or data.get("Message")
        if message:
            body = _encode({"error": {"message": str(message), "code": kind or None}})
    return error_from_upstream(PROVIDER, mapped, body, headers)


def stream_exception(kind: str, payload: bytes) -> Exception:
    """The error for an exception event inside a ConverseStream."""
    try:
        data: Any = msgspec.json.decode(payload) if payload else {}
    except msgspec.DecodeError:
        data = {}
    message = data.get("message") if isinstance(data, dict) else None
    status = _ERROR_STATUS.get(kind.lower(), 502)
    body = _encode({"error": {"message": str(message or kind), "code": kind}})
    return error_from_upstream(PROVIDER, status, body, {})


def _arguments(value: Any) -> str:
    if value is None:
        return "{}"
    return _encode(value).decode()


def to_openai_response(content: bytes, *, model: str) -> tuple[bytes, Usage]:
    """The ``chat.completion`` body for one Converse answer, and its usage."""
    try:
        answer: Any = msgspec.json.decode(content)
        blocks = answer["output"]["message"]["content"]
        if not isinstance(blocks, list):
            raise TypeError
    except (msgspec.DecodeError, KeyError, TypeError):
        raise UpstreamError("bedrock returned an unreadable answer") from None
    texts: list[str] = []
    reasoning: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if "text" in block:
            texts.append(str(block["text"]))
        elif isinstance(block.get("toolUse"), dict):
            tool = block["toolUse"]
            function = {"name": tool.get("name"), "arguments": _arguments(tool.get("input"))}
            tool_calls.append(
                {"id": tool.get("toolUseId"), "type": "function", "function": function}
            )
        elif isinstance(block.get("reasoningContent"), dict):
            text = (block["reasoningContent"].get("reasoningText") or {}).get("text")
            if text:
                reasoning.append(str(text))
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts else None,
        "refusal": None,
    }
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if tool_calls:
        message["tool_calls"] = tool_calls
    usage = usage_of(answer.get("usage"))
    body = {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason(answer.get("stopReason")),
            }
        ],
        "usage": openai_usage(usage),
    }
    return _encode(body), usage
