"""OpenAI chat requests → Gemini ``generateContent`` bodies.

System messages become ``systemInstruction``; user and assistant turns become
``contents`` with roles ``user`` and ``model``; tool calls and tool results become
``functionCall`` and ``functionResponse`` parts. Images must be data URLs by the time
they get here (remote ones are inlined first, under the gateway's URL fetch policy).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import msgspec

from app.errors import BadRequestError
from app.providers.gemini_response import SIGNATURE_MARK

__all__ = ["clean_schema", "to_gemini_request"]

_SCHEMA_DROP = frozenset({"additionalProperties", "$schema", "$id", "$defs", "definitions"})
_TOOL_MODES: Mapping[str, str] = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
# Google's own reading of OpenAI's reasoning_effort as a thinking budget (tokens).
_THINKING_BUDGETS: Mapping[str, int] = {
    "none": 0,
    "minimal": 1024,
    "low": 1024,
    "medium": 8192,
    "high": 24576,
}


def clean_schema(schema: Any) -> Any:
    """A JSON schema without the keys Gemini's ``Schema`` refuses."""
    if isinstance(schema, dict):
        return {k: clean_schema(v) for k, v in schema.items() if k not in _SCHEMA_DROP}
    if isinstance(schema, list):
        return [clean_schema(v) for v in schema]
    return schema


def _image_part(part: dict[str, Any], where: str) -> dict[str, Any]:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url.startswith("data:"):
        raise BadRequestError(
            f"{where}: gemini deployments take images as data URLs "
            "(remote image URLs need URL fetching enabled)",
            param=where,
        )
    header, _, data = url.partition(",")
    media_type = header[5:].split(";")[0] or "application/octet-stream"
    if ";base64" not in header:
        raise BadRequestError(f"{where}: the data URL must be base64", param=where)
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError(f"{where}: the data URL is not valid base64", param=where) from None
    return {"inlineData": {"mimeType": media_type, "data": data}}


def _parts(content: Any, where: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        raise BadRequestError(f"{where}: must be a string or a list of parts", param=where)
    parts: list[dict[str, Any]] = []
    for index, part in enumerate(content):
        at = f"{where}[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            parts.append({"text": str(part.get("text") or "")})
        elif kind == "image_url":
            parts.append(_image_part(part, f"{at}.image_url.url"))
        else:
            raise BadRequestError(f"{at}: unsupported content part {kind!r}", param=at)
    return parts


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text") or "") for p in content if isinstance(p, dict) and "text" in p
        )
    return ""


def _arguments(raw: Any, where: str) -> Any:
    if isinstance(raw, dict):
        return raw
    if not raw:
        return {}
    try:
        value = msgspec.json.decode(str(raw))
    except msgspec.DecodeError:
        raise BadRequestError(f"{where}: arguments must be JSON", param=where) from None
    return value if isinstance(value, dict) else {"value": value}


def _contents(
    messages: list[Any],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise BadRequestError(f"{where}: must be an object", param=where)
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(_parts(message.get("content"), f"{where}.content"))
            continue
        if role == "user":
            parts = _parts(message.get("content"), f"{where}.content")
            gemini_role = "user"
        elif role == "assistant":
            parts = _parts(message.get("content"), f"{where}.content")
            for c_index, call in enumerate(message.get("tool_calls") or []):
                function = call.get("function") or {}
                name = str(function.get("name") or "")
                call_names[str(call.get("id") or "")] = name
                args_at = f"{where}.tool_calls[{c_index}].function.arguments"
                args = _arguments(function.get("arguments"), args_at)
                part: dict[str, Any] = {"functionCall": {"name": name, "args": args}}
                _, mark, signature = str(call.get("id") or "").partition(SIGNATURE_MARK)
                if mark and signature:
                    part["thoughtSignature"] = signature
                parts.append(part)
            gemini_role = "model"
        elif role in ("tool", "function"):
            call_id = str(message.get("tool_call_id") or "")
            tool_name = message.get("name") or call_names.get(call_id)
            if not tool_name:
                raise BadRequestError(
                    f"{where}.tool_call_id: matches no earlier assistant tool call",
                    param=f"{where}.tool_call_id",
                )
            text = _text_of(message.get("content"))
            try:
                value = msgspec.json.decode(text) if text else {}
            except msgspec.DecodeError:
                value = text
            response = value if isinstance(value, dict) else {"result": value}
            parts = [{"functionResponse": {"name": tool_name, "response": response}}]
            gemini_role = "user"
        else:
            raise BadRequestError(f"{where}.role: unsupported role {role!r}", param=f"{where}.role")
        if not parts:
            continue
        if contents and contents[-1]["role"] == gemini_role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": gemini_role, "parts": parts})
    instruction = {"parts": system} if system else None
    return instruction, contents


def _tools(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    tools = body.get("tools")
    if not tools:
        return None
    declarations = []
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not function.get("name"):
            raise BadRequestError(f"tools[{index}]: must be a function tool with a name")
        declaration: dict[str, Any] = {"name": function["name"]}
        if function.get("description"):
            declaration["description"] = function["description"]
        parameters = function.get("parameters")
        if parameters and parameters.get("properties"):
            declaration["parameters"] = clean_schema(parameters)
        declarations.append(declaration)
    return [{"functionDeclarations": declarations}]


def _tool_config(choice: Any) -> dict[str, Any] | None:
    if choice is None:
        return None
    if isinstance(choice, str):
        mode = _TOOL_MODES.get(choice)
        if mode is None:
            raise BadRequestError(f"tool_choice: unsupported value {choice!r}", param="tool_choice")
        return {"functionCallingConfig": {"mode": mode}}
    name = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    if not name:
        raise BadRequestError("tool_choice: must name a function", param="tool_choice")
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}


def _generation_config(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for ours, theirs in (
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("top_k", "topK"),
        ("n", "candidateCount"),
        ("seed", "seed"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
    ):
        if body.get(ours) is not None:
            config[theirs] = body[ours]
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    effort = body.get("reasoning_effort")
    if effort is not None:
        if effort not in _THINKING_BUDGETS:
            raise BadRequestError(
                f"reasoning_effort: unsupported value {effort!r}", param="reasoning_effort"
            )
        config["thinkingConfig"] = {"thinkingBudget": _THINKING_BUDGETS[effort]}
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        kind = response_format.get("type")
        if kind == "json_object":
            config["responseMimeType"] = "application/json"
        elif kind == "json_schema":
            config["responseMimeType"] = "application/json"
            schema = (response_format.get("json_schema") or {}).get("schema")
            if schema:
                config["responseSchema"] = clean_schema(schema)
    return config


def to_gemini_request(body: dict[str, Any]) -> dict[str, Any]:
    """The ``generateContent`` body for an OpenAI chat body."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequestError("messages: must be a non-empty list", param="messages")
    instruction, contents = _contents(messages)
    if not contents:
        raise BadRequestError("messages: needs at least one user message", param="messages")
    out: dict[str, Any] = {"contents": contents}
    if instruction is not None:
        out["systemInstruction"] = instruction
    tools = _tools(body)
    if tools is not None:
        out["tools"] = tools
        tool_config = _tool_config(body.get("tool_choice"))
        if tool_config is not None:
            out["toolConfig"] = tool_config
    config = _generation_config(body)
    if config:
        out["generationConfig"] = config
    return out
