"""Anthropic Messages request → OpenAI chat request, for providers that speak only chat.

:func:`validate_messages_body` checks what every Messages call needs, whichever provider
serves it; :func:`to_chat_body` translates. Blocks a chat provider cannot take (thinking,
server tools) are dropped or refused with a :class:`~app.errors.BadRequestError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.errors import BadRequestError

__all__ = ["to_chat_body", "validate_messages_body"]

_TOOL_CHOICES: Mapping[str, str] = {"auto": "auto", "any": "required", "none": "none"}
_DROPPED_BLOCKS = frozenset({"thinking", "redacted_thinking"})


def validate_messages_body(body: Mapping[str, Any], *, count_only: bool = False) -> None:
    """The fields the Messages API requires (``count_tokens`` needs no ``max_tokens``),
    with Anthropic's wording of what is wrong."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequestError("model: Field required", param="model")
    max_tokens = body.get("max_tokens")
    if not count_only and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise BadRequestError("max_tokens: must be a positive integer", param="max_tokens")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequestError("messages: must be a non-empty list", param="messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise BadRequestError(
                f"messages.{i}.role: must be `user` or `assistant`", param=f"messages.{i}"
            )
        if not isinstance(message.get("content"), str | list):
            raise BadRequestError(
                f"messages.{i}.content: must be a string or a list of blocks",
                param=f"messages.{i}.content",
            )
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        raise BadRequestError("system: must be a string or a list of text blocks", param="system")
    for name in ("tools", "stop_sequences"):
        if body.get(name) is not None and not isinstance(body[name], list):
            raise BadRequestError(f"{name}: must be a list", param=name)


def to_chat_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``chat.completions`` body for one (validated) Messages body."""
    messages: list[dict[str, Any]] = []
    system = _text_of(body.get("system"), "system")
    if system:
        messages.append({"role": "system", "content": system})
    for i, message in enumerate(body["messages"]):
        messages.extend(_chat_messages(message, f"messages.{i}"))
    chat: dict[str, Any] = {
        "model": body["model"],
        "messages": messages,
        "max_tokens": body["max_tokens"],
    }
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("stop_sequences"):
        chat["stop"] = list(body["stop_sequences"])
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and metadata.get("user_id"):
        chat["user"] = str(metadata["user_id"])
    chat.update(_tools(body))
    return chat


def _text_of(value: Any, param: str) -> str:
    """A string, or the joined text of a list of text blocks."""
    if value is None or isinstance(value, str):
        return value or ""
    parts = []
    for block in value:
        if not isinstance(block, dict) or block.get("type") != "text":
            raise BadRequestError(f"{param}: only text blocks are allowed here", param=param)
        parts.append(str(block.get("text", "")))
    return "\n\n".join(parts)


def _chat_messages(message: Mapping[str, Any], param: str) -> list[dict[str, Any]]:
    content = message["content"]
    if message["role"] == "assistant":
        return [_assistant(content, param)]
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for j, block in enumerate(content):
        where = f"{param}.content.{j}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "tool_result":
            out.append(_tool_result(block, where))
        elif kind not in _DROPPED_BLOCKS:
            parts.append(_user_part(block, where))
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _user_part(block: Any, param: str) -> dict[str, Any]:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        return {"type": "text", "text": str(block.get("text", ""))}
    if kind == "image":
        return {"type": "image_url", "image_url": {"url": _image_url(block.get("source"), param)}}
    if kind == "document":
        source = block.get("source")
        if isinstance(source, dict) and source.get("type") == "text":
            return {"type": "text", "text": str(source.get("data", ""))}
    raise BadRequestError(
        f"{param}: `{kind}` blocks cannot be sent to this model's provider", param=param
    )


def _image_url(source: Any, param: str) -> str:
    if isinstance(source, dict) and source.get("type") == "base64":
        return f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    if isinstance(source, dict) and source.get("type") == "url" and source.get("url"):
        return str(source["url"])
    raise BadRequestError(f"{param}.source: expected a base64 or url image source", param=param)


def _tool_result(block: Mapping[str, Any], param: str) -> dict[str, Any]:
    tool_use_id = block.get("tool_use_id")
    if not isinstance(tool_use_id, str) or not tool_use_id:
        raise BadRequestError(f"{param}.tool_use_id: Field required", param=param)
    content = block.get("content")
    if isinstance(content, list):
        texts = [
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        ]
        content = "\n".join(texts)
    text = "" if content is None else str(content)
    if block.get("is_error"):
        text = f"Error: {text}" if text else "Error"
    return {"role": "tool", "tool_call_id": tool_use_id, "content": text}


def _assistant(content: Any, param: str) -> dict[str, Any]:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for j, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input") or {}, ensure_ascii=False)
            function = {"name": block.get("name"), "arguments": arguments}
            calls.append({"id": block.get("id"), "type": "function", "function": function})
        elif kind not in _DROPPED_BLOCKS:
            where = f"{param}.content.{j}"
            raise BadRequestError(f"{where}: `{kind}` blocks are not allowed here", param=where)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tools(body: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tools = body.get("tools")
    if tools:
        out["tools"] = [_tool(tool, f"tools.{i}") for i, tool in enumerate(tools)]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind == "tool":
            out["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
        elif kind in _TOOL_CHOICES:
            out["tool_choice"] = _TOOL_CHOICES[str(kind)]
        else:
            raise BadRequestError("tool_choice.type: unknown tool choice", param="tool_choice")
        if choice.get("disable_parallel_tool_use") and tools:
            out["parallel_tool_calls"] = False
    return out


def _tool(tool: Any, param: str) -> dict[str, Any]:
    if not isinstance(tool, dict) or not tool.get("name"):
        raise BadRequestError(f"{param}.name: Field required", param=param)
    if tool.get("type") not in (None, "custom") or "input_schema" not in tool:
        raise BadRequestError(
            f"{param}: server tools cannot be sent to this model's provider", param=param
        )
    function: dict[str, Any] = {"name": tool["name"], "parameters": tool["input_schema"]}
    if tool.get("description"):
        function["description"] = tool["description"]
    return {"type": "function", "function": function}
