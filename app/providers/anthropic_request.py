"""OpenAI chat request → Anthropic Messages request.

Only fields Anthropic understands are carried over; OpenAI-only fields are dropped.
Input that cannot be expressed (remote image URLs, ``n > 1``) is the caller's mistake
and raises :class:`~app.errors.BadRequestError` naming the offending ``param``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.errors import BadRequestError

__all__ = ["DEFAULT_MAX_TOKENS", "to_anthropic_request"]

DEFAULT_MAX_TOKENS = 4096
IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_TOOL_CHOICES: Mapping[str, str] = {"auto": "auto", "required": "any", "none": "none"}

Block = dict[str, Any]


def to_anthropic_request(body: Mapping[str, Any], *, stream: bool) -> dict[str, Any]:
    """The Messages API body for one OpenAI ``chat.completions`` body."""
    n = body.get("n")
    if n is not None and n != 1:
        raise BadRequestError("anthropic models return one choice: n must be 1", param="n")
    system, messages = _conversation(body.get("messages"))
    request: dict[str, Any] = {
        "model": body.get("model"),
        "messages": messages,
        "max_tokens": _max_tokens(body),
    }
    if system:
        request["system"] = system
    for name in ("temperature", "top_p", "top_k"):
        if body.get(name) is not None:
            request[name] = body[name]
    stop = body.get("stop")
    if stop:
        request["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if body.get("user"):
        request["metadata"] = {"user_id": str(body["user"])}
    request.update(_tools(body))
    if stream:
        request["stream"] = True
    return request


def _max_tokens(body: Mapping[str, Any]) -> int:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BadRequestError(f"{name} must be a positive integer", param=name)
        return value
    return DEFAULT_MAX_TOKENS


def _conversation(raw: Any) -> tuple[str, list[dict[str, Any]]]:
    """The joined system text and the role-alternating Anthropic messages."""
    if not isinstance(raw, list) or not raw:
        raise BadRequestError("messages must be a non-empty list", param="messages")
    system: list[str] = []
    messages: list[dict[str, Any]] = []
    for i, message in enumerate(raw):
        if not isinstance(message, dict):
            raise BadRequestError("each message must be an object", param=f"messages[{i}]")
        role = message.get("role")
        if role in ("system", "developer"):
            text = _plain_text(message.get("content"), f"messages[{i}].content")
            if text:
                system.append(text)
            continue
        anthropic_role, blocks = _message_blocks(role, message, i)
        if not blocks:
            continue
        if messages and messages[-1]["role"] == anthropic_role:
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": anthropic_role, "content": blocks})
    if not messages:
        raise BadRequestError(
            "anthropic needs at least one user or assistant message", param="messages"
        )
    return "\n\n".join(system), messages


def _message_blocks(role: Any, message: dict[str, Any], i: int) -> tuple[str, list[Block]]:
    where = f"messages[{i}]"
    if role == "user":
        return "user", _content_blocks(message.get("content"), f"{where}.content")
    if role == "assistant":
        blocks = _content_blocks(message.get("content"), f"{where}.content")
        for j, tool_call in enumerate(message.get("tool_calls") or []):
            blocks.append(_tool_use(tool_call, f"{where}.tool_calls[{j}]"))
        return "assistant", blocks
    if role == "tool":
        return "user", [_tool_result(message, where)]
    raise BadRequestError(f"unsupported message role {role!r}", param=f"{where}.role")


def _plain_text(content: Any, where: str) -> str:
    """The text of a system-like message: a string or a list of text parts."""
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        texts: list[str] = []
        for j, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text":
                raise BadRequestError("only text parts are allowed here", param=f"{where}[{j}]")
            texts.append(str(part.get("text") or ""))
        return "\n".join(t for t in texts if t)
    raise BadRequestError("content must be a string or a list of parts", param=where)


def _content_blocks(content: Any, where: str) -> list[Block]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise BadRequestError("content must be a string or a list of parts", param=where)
    blocks: list[Block] = []
    for j, part in enumerate(content):
        block = _part_block(part, f"{where}[{j}]")
        if block is not None:
            if isinstance(part, dict) and part.get("cache_control"):
                block["cache_control"] = part["cache_control"]
            blocks.append(block)
    return blocks


def _part_block(part: Any, where: str) -> Block | None:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text":
        text = str(part.get("text") or "")
        return {"type": "text", "text": text} if text else None
    if kind == "refusal":
        refusal = str(part.get("refusal") or "")
        return {"type": "text", "text": refusal} if refusal else None
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        return _image_block(url, f"{where}.image_url.url")
    raise BadRequestError(
        f"anthropic deployments do not accept content parts of type {kind!r}", param=where
    )


def _image_block(url: Any, where: str) -> Block:
    """A base64 image block from a ``data:`` URL; remote URLs are never fetched."""
    if not isinstance(url, str) or not url.startswith("data:"):
        raise BadRequestError(
            "images must be sent inline as data: URLs (remote image URLs are not fetched)",
            param=where,
        )
    header, comma, data = url[len("data:") :].partition(",")
    media_type, _, encoding = header.partition(";")
    if not comma or encoding != "base64" or not data:
        raise BadRequestError("image data: URLs must be base64-encoded", param=where)
    if media_type not in IMAGE_MEDIA_TYPES:
        raise BadRequestError(
            f"unsupported image type {media_type!r} (use {', '.join(sorted(IMAGE_MEDIA_TYPES))})",
            param=where,
        )
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _tool_use(tool_call: Any, where: str) -> Block:
    function = tool_call.get("function") if isinstance(tool_call, dict) else None
    if not isinstance(function, dict) or not function.get("name") or not tool_call.get("id"):
        raise BadRequestError("a tool call needs an id and a function name", param=where)
    arguments = function.get("arguments") or "{}"
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise BadRequestError(
            "tool call arguments must be a JSON object", param=f"{where}.function.arguments"
        )
    return {"type": "tool_use", "id": tool_call["id"], "name": function["name"], "input": parsed}


def _tool_result(message: dict[str, Any], where: str) -> Block:
    tool_call_id = message.get("tool_call_id")
    if not tool_call_id:
        raise BadRequestError("a tool message needs a tool_call_id", param=f"{where}.tool_call_id")
    block: Block = {"type": "tool_result", "tool_use_id": tool_call_id}
    content = _content_blocks(message.get("content"), f"{where}.content")
    if content:
        block["content"] = content
    return block


def _tools(body: Mapping[str, Any]) -> dict[str, Any]:
    """``tools`` and ``tool_choice``; both are left out when no tools are offered."""
    raw = body.get("tools")
    if not raw:
        return {}
    if not isinstance(raw, list):
        raise BadRequestError("tools must be a list", param="tools")
    out: dict[str, Any] = {"tools": [_tool(tool, f"tools[{i}]") for i, tool in enumerate(raw)]}
    choice = _tool_choice(body.get("tool_choice"))
    if body.get("parallel_tool_calls") is False and choice.get("type") != "none":
        choice.setdefault("type", "auto")
        choice["disable_parallel_tool_use"] = True
    if choice:
        out["tool_choice"] = choice
    return out


def _tool(tool: Any, where: str) -> Block:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or tool.get("type", "function") != "function":
        raise BadRequestError("only function tools are supported", param=where)
    if not function.get("name"):
        raise BadRequestError("a function tool needs a name", param=f"{where}.function.name")
    out: Block = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        out["description"] = function["description"]
    return out


def _tool_choice(choice: Any) -> dict[str, Any]:
    if choice is None:
        return {}
    if isinstance(choice, str) and choice in _TOOL_CHOICES:
        return {"type": _TOOL_CHOICES[choice]}
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        if name:
            return {"type": "tool", "name": name}
    raise BadRequestError(
        "tool_choice must be auto, required, none or a named function", param="tool_choice"
    )
