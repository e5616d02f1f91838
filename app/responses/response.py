"""OpenAI ``chat.completion`` answers → Responses ``response`` objects."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from app.errors import UpstreamError
from app.providers.base import Usage

__all__ = [
    "function_call_item",
    "message_item",
    "new_id",
    "reasoning_item",
    "response_object",
    "response_usage",
    "to_response",
]

_ECHOED = (
    "instructions",
    "max_output_tokens",
    "metadata",
    "previous_response_id",
    "reasoning",
    "temperature",
    "top_p",
    "user",
)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def response_usage(usage: Usage | None, reasoning_tokens: int = 0) -> dict[str, Any]:
    usage = usage or Usage()
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens, "cache_write_tokens": 0},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    content = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": [content],
    }


def function_call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: str = "completed"
) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def reasoning_item(item_id: str, text: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": text}],
    }


def response_object(
    request: Mapping[str, Any],
    *,
    response_id: str,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    created_at: int | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``response`` as the SDK's ``Response`` model reads it, echoing the request."""
    body: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": created_at if created_at is not None else int(time.time()),
        "status": status,
        "error": error,
        "incomplete_details": ({"reason": "max_output_tokens"} if status == "incomplete" else None),
        "model": request.get("model"),
        "output": output,
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools") or [],
        "text": request.get("text") or {"format": {"type": "text"}},
        "store": bool(request.get("store", False)),
        "truncation": request.get("truncation", "disabled"),
        "usage": usage,
    }
    for name in _ECHOED:
        body[name] = request.get(name)
    body.pop("deltallm_store", None)
    if body["metadata"] is None:
        body["metadata"] = {}
    return body


def to_response(
    content: bytes, usage: Usage | None, request: Mapping[str, Any], *, store: bool
) -> dict[str, Any]:
    """The Responses answer for one chat completion body."""
    try:
        answer = msgspec.json.decode(content)
        message = answer["choices"][0]["message"]
        finish = answer["choices"][0].get("finish_reason")
    except (msgspec.DecodeError, KeyError, IndexError, TypeError):
        raise UpstreamError("the upstream returned an unreadable chat answer") from None
    output: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        output.append(reasoning_item(new_id("rs"), reasoning))
    status = "incomplete" if finish == "length" else "completed"
    if message.get("content"):
        output.append(message_item(new_id("msg"), str(message["content"]), status))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        output.append(
            function_call_item(
                new_id("fc"),
                str(call.get("id") or new_id("call")),
                str(function.get("name") or ""),
                str(function.get("arguments") or ""),
            )
        )
    details = (answer.get("usage") or {}).get("completion_tokens_details") or {}
    reasoning_tokens = int(details.get("reasoning_tokens") or 0)
    return response_object(
        {**request, "store": store},
        response_id=new_id("resp"),
        status=status,
        output=output,
        usage=response_usage(usage, reasoning_tokens),
    )
