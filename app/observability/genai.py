"""GenAI semantic-convention names and message shapes for spans."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from app.providers.base import Operation, Usage

__all__ = [
    "add_delta",
    "answer_texts",
    "input_messages",
    "operation_name",
    "output_messages",
    "provider_name",
    "request_attributes",
    "server_attributes",
    "usage_attributes",
]

_OPERATIONS = {
    Operation.CHAT: "chat",
    Operation.COMPLETION: "text_completion",
    Operation.EMBEDDING: "embeddings",
    Operation.MESSAGES: "chat",  # Anthropic's Messages API is a chat in GenAI's terms
    Operation.RESPONSES: "chat",
}
_PROVIDERS = {"openai": "openai", "azure": "azure.ai.openai", "anthropic": "anthropic"}
_PROVIDERS.update({"gemini": "gcp.gemini", "mistral": "mistral_ai", "xai": "x_ai"})
_REQUEST_PARAMS = (
    ("max_tokens", "gen_ai.request.max_tokens", int),
    ("max_completion_tokens", "gen_ai.request.max_tokens", int),
    ("temperature", "gen_ai.request.temperature", float),
    ("top_p", "gen_ai.request.top_p", float),
    ("frequency_penalty", "gen_ai.request.frequency_penalty", float),
    ("presence_penalty", "gen_ai.request.presence_penalty", float),
    ("seed", "gen_ai.request.seed", int),
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def operation_name(op: Operation) -> str:
    return _OPERATIONS.get(op, op.value)


def provider_name(provider: str) -> str:
    return _PROVIDERS.get(provider, provider)


def request_attributes(body: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, name, kind in _REQUEST_PARAMS:
        value = body.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = kind(value)
    choices = body.get("n")
    if isinstance(choices, int) and choices > 1:
        out["gen_ai.request.choice.count"] = choices
    return out


def server_attributes(api_base: str | None) -> dict[str, Any]:
    if not api_base:
        return {}
    parts = urlsplit(api_base)
    if not parts.hostname:
        return {}
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    return {"server.address": parts.hostname, **({"server.port": port} if port else {})}


def usage_attributes(usage: Usage | None) -> dict[str, Any]:
    if usage is None:
        return {}
    return {
        "gen_ai.usage.input_tokens": usage.prompt_tokens,
        "gen_ai.usage.output_tokens": usage.completion_tokens,
    }


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append({"type": "text", "content": part["text"]})
            elif isinstance(part, dict):
                parts.append({"type": str(part.get("type", "unknown"))})
    return parts


def input_messages(op: Operation, body: Mapping[str, Any]) -> str | None:
    """``gen_ai.input.messages``: the prompt as role and parts, JSON-encoded."""
    messages: list[dict[str, Any]] = []
    if op in (Operation.CHAT, Operation.MESSAGES) and isinstance(body.get("messages"), list):
        for message in body["messages"]:
            if isinstance(message, dict):
                role = str(message.get("role", "user"))
                messages.append({"role": role, "parts": _parts(message.get("content"))})
    elif isinstance(body.get("prompt"), str | list):
        messages.append({"role": "user", "parts": _parts(body["prompt"])})
    elif isinstance(body.get("input"), str | list):
        messages.append({"role": "user", "parts": _parts(body["input"])})
    return json.dumps(messages, ensure_ascii=False) if messages else None


def output_messages(texts: Mapping[int, str], finish: Mapping[int, str]) -> str | None:
    """``gen_ai.output.messages`` from each choice's text and finish reason."""
    if not texts:
        return None
    messages = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": texts[index]}],
            "finish_reason": finish.get(index, "stop"),
        }
        for index in sorted(texts)
    ]
    return json.dumps(messages, ensure_ascii=False)


def answer_texts(content: bytes) -> tuple[dict[int, str], dict[int, str]]:
    """Each choice's text and finish reason from a whole chat or completion answer."""
    texts: dict[int, str] = {}
    finish: dict[int, str] = {}
    try:
        answer = json.loads(content)
    except ValueError:
        return texts, finish
    choices = answer.get("choices") if isinstance(answer, dict) else None
    for position, choice in enumerate(choices if isinstance(choices, list) else []):
        if not isinstance(choice, dict):
            continue
        index = choice.get("index", position)
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else choice.get("text")
        if isinstance(text, str):
            texts[index] = text
        if isinstance(choice.get("finish_reason"), str):
            finish[index] = choice["finish_reason"]
    return texts, finish


def add_delta(event: bytes, texts: dict[int, str], finish: dict[int, str]) -> None:
    """Append one SSE event's deltas to each choice's text."""
    start = event.find(b"{")
    if start < 0:
        return
    try:
        chunk = json.loads(event[start:])
    except ValueError:
        return
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    for choice in choices if isinstance(choices, list) else []:
        if not isinstance(choice, dict):
            continue
        index = choice.get("index", 0)
        delta = choice.get("delta")
        text = delta.get("content") if isinstance(delta, dict) else choice.get("text")
        if isinstance(text, str):
            texts[index] = texts.get(index, "") + text
        if isinstance(choice.get("finish_reason"), str):
            finish[index] = choice["finish_reason"]
