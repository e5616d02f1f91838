"""OpenAI Responses request → chat request, for providers that do not speak Responses.

:func:`validate_responses_body` checks what every Responses call needs, whichever provider
serves it; :func:`to_chat_body` translates. Fields a chat provider cannot honour (built-in
tools, background runs, ...) are refused with a 400 naming the param, or dropped when the
caller or the configuration sets ``drop_params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.errors import BadRequestError

__all__ = ["GATEWAY_FIELDS", "input_items", "to_chat_body", "validate_responses_body"]

GATEWAY_FIELDS = frozenset({"drop_params", "previous_response_id", "deltallm_store"})
"""Body fields the gateway reads and never forwards upstream."""

_COPIED = ("temperature", "top_p", "user", "parallel_tool_calls", "top_logprobs")
_UNSUPPORTED = frozenset(
    {"background", "conversation", "prompt", "max_tool_calls", "context_management", "moderation"}
)
"""Responses features a chat call has no equivalent for. Other fields a Responses body does
not define (deployment defaults such as ``frequency_penalty``) go to the chat call as they are."""
# Handled here, or accepted without effect on a chat upstream (bookkeeping, hints).
_HANDLED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "stream",
        "store",
        "metadata",
        "previous_response_id",
        "truncation",
        "service_tier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "safety_identifier",
        "stream_options",
        "include",
        "drop_params",
        "deltallm_store",
        "max_output_tokens",
        "tools",
        "tool_choice",
        "text",
        "reasoning",
        *_COPIED,
    }
)
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})


def validate_responses_body(body: Mapping[str, Any]) -> None:
    """The fields every Responses call needs, in OpenAI's wording."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequestError("Missing required parameter: 'model'.", param="model")
    value = body.get("input")
    if not isinstance(value, str | list):
        raise BadRequestError("Missing required parameter: 'input'.", param="input")
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise BadRequestError("'instructions' must be a string.", param="instructions")
    limit = body.get("max_output_tokens")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise BadRequestError(
            "'max_output_tokens' must be a positive integer.", param="max_output_tokens"
        )
    for name in ("tools", "include"):
        if body.get(name) is not None and not isinstance(body[name], list):
            raise BadRequestError(f"'{name}' must be an array.", param=name)
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequestError("'metadata' must be an object.", param="metadata")


def input_items(value: Any) -> list[dict[str, Any]]:
    """``input`` as a list of items (a string is one user message)."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return [item for item in value if isinstance(item, dict)]


def to_chat_body(
    body: Mapping[str, Any], *, drop_params: bool, reasoning: bool = True
) -> dict[str, Any]:
    """The ``chat.completions`` body for one (validated) Responses body. ``reasoning`` says
    whether the upstream takes ``reasoning_effort``."""
    refuse = _Refuser(drop_params)
    for name in _UNSUPPORTED & set(body):
        refuse(name, f"'{name}' is not supported by this model's provider.")
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if instructions:
        messages.append({"role": "system", "content": instructions})
    messages.extend(_messages(input_items(body["input"]), refuse))
    chat: dict[str, Any] = {k: v for k, v in body.items() if k not in _HANDLED | _UNSUPPORTED}
    chat.update(model=body["model"], messages=messages)
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    for name in _COPIED:
        if body.get(name) is not None:
            chat[name] = body[name]
    effort = (body.get("reasoning") or {}).get("effort")
    if effort:
        if reasoning:
            chat["reasoning_effort"] = effort
        else:
            refuse("reasoning", "'reasoning' is not supported by this model's provider.")
    if "top_logprobs" in chat:
        chat["logprobs"] = True
    chat.update(_format(body.get("text"), refuse))
    chat.update(_tools(body, refuse))
    if "tools" not in chat:
        chat.pop("parallel_tool_calls", None)  # chat APIs take it only with tools
    return chat


class _Refuser:
    def __init__(self, drop: bool) -> None:
        self.drop = drop

    def __call__(self, param: str, message: str) -> None:
        if not self.drop:
            raise BadRequestError(
                f"Unsupported parameter: '{param}'. {message} Set `drop_params` to drop it.",
                param=param,
                code="unsupported_parameter",
            )


def _messages(items: list[dict[str, Any]], refuse: _Refuser) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        kind = item.get("type", "message")
        where = f"input[{i}]"
        if kind == "message":
            out.append(_message(item, where, refuse))
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments") or ""},
            }
            last = out[-1] if out else None
            if last and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            if not isinstance(item.get("call_id"), str):
                raise BadRequestError(
                    f"Missing required parameter: '{where}.call_id'.", param=where
                )
            output = item.get("output")
            text = output if isinstance(output, str) else _joined_text(output)
            out.append({"role": "tool", "tool_call_id": item["call_id"], "content": text})
        elif kind != "reasoning":
            refuse(where, f"Input items of type '{kind}' cannot be sent to this model's provider.")
    return out


def _message(item: Mapping[str, Any], where: str, refuse: _Refuser) -> dict[str, Any]:
    role = item.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        raise BadRequestError(f"Invalid value for '{where}.role'.", param=f"{where}.role")
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise BadRequestError(f"Invalid type for '{where}.content'.", param=f"{where}.content")
    if role != "user":
        return {"role": role, "content": _joined_text(content)}
    parts: list[dict[str, Any]] = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in _TEXT_PARTS:
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "input_image" and part.get("image_url"):
            image: dict[str, Any] = {"url": part["image_url"]}
            if part.get("detail"):
                image["detail"] = part["detail"]
            parts.append({"type": "image_url", "image_url": image})
        else:
            param = f"{where}.content[{j}]"
            refuse(param, f"Content of type '{kind}' cannot be sent to this model's provider.")
    return {"role": role, "content": parts}


def _joined_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(
        str(part.get("text", ""))
        for part in content
        if isinstance(part, dict) and part.get("type") in _TEXT_PARTS
    )


def _format(text: Any, refuse: _Refuser) -> dict[str, Any]:
    if not isinstance(text, dict) or not isinstance(text.get("format"), dict):
        return {}
    fmt = text["format"]
    kind = fmt.get("type")
    if kind == "json_schema":
        schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}
        return {"response_format": {"type": "json_schema", "json_schema": schema}}
    if kind == "json_object":
        return {"response_format": {"type": "json_object"}}
    if kind != "text":
        refuse("text.format", f"Text format '{kind}' is not supported by this model's provider.")
    return {}


def _tools(body: Mapping[str, Any], refuse: _Refuser) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tools: list[dict[str, Any]] = []
    for i, tool in enumerate(body.get("tools") or []):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function":
            refuse(
                f"tools[{i}]",
                f"Built-in tool '{kind}' is not supported by this model's provider.",
            )
            continue
        function = {
            k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool
        }
        tools.append({"type": "function", "function": function})
    if tools:
        out["tools"] = tools
    choice = body.get("tool_choice")
    if isinstance(choice, str):
        if tools:
            out["tool_choice"] = choice
    elif isinstance(choice, dict):
        if choice.get("type") == "function" and choice.get("name"):
            out["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
        else:
            refuse("tool_choice", "This 'tool_choice' is not supported by this model's provider.")
    return out
