"""OpenAI ``chat.completion`` answers → Anthropic ``message`` answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgspec

from app.errors import UpstreamError
from app.providers.base import Usage

__all__ = [
    "STOP_REASONS",
    "anthropic_usage",
    "message_id",
    "stop_reason",
    "to_message",
    "tool_input",
]

STOP_REASONS: Mapping[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def stop_reason(finish_reason: str | None) -> str:
    return STOP_REASONS.get(finish_reason or "", "end_turn")


def anthropic_usage(usage: Usage | None) -> dict[str, int]:
    """Anthropic counts cache reads apart from ``input_tokens``; OpenAI includes them."""
    usage = usage or Usage()
    return {
        "input_tokens": max(0, usage.prompt_tokens - usage.cached_tokens),
        "output_tokens": usage.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
    }


def tool_input(arguments: str | None) -> Any:
    """A tool call's JSON arguments as the ``input`` object of a ``tool_use`` block."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def message_id(upstream_id: Any) -> str:
    text = str(upstream_id or "")
    return text if text.startswith("msg_") else f"msg_{text.removeprefix('chatcmpl-')}"


def to_message(content: bytes, usage: Usage | None, *, model: str) -> bytes:
    """The Messages answer for one chat completion body."""
    try:
        answer = msgspec.json.decode(content)
        message = answer["choices"][0]["message"]
        finish = answer["choices"][0].get("finish_reason")
    except (msgspec.DecodeError, KeyError, IndexError, TypeError):
        raise UpstreamError("the upstream returned an unreadable chat answer") from None
    blocks: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        blocks.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    if message.get("content"):
        blocks.append({"type": "text", "text": str(message["content"])})
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        blocks.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": tool_input(function.get("arguments")),
            }
        )
    body = {
        "id": message_id(answer.get("id")),
        "type": "message",
        "role": "assistant",
        "model": answer.get("model") or model,
        "content": blocks,
        "stop_reason": stop_reason(finish),
        "stop_sequence": None,
        "usage": anthropic_usage(usage),
    }
    return msgspec.json.encode(body)
