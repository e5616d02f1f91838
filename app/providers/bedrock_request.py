"""OpenAI chat requests → Amazon Bedrock Converse requests.

Converse is one request shape for every model family on Bedrock (Anthropic, Llama,
Mistral, Nova): system prompts apart, content blocks in strictly alternating user and
assistant turns, tool results as user content.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from app.errors import BadRequestError

__all__ = ["to_converse_request"]

_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
_ROLES = {"user": "user", "assistant": "assistant", "tool": "user", "function": "user"}


def _bad(message: str, param: str) -> BadRequestError:
    return BadRequestError(message, param=param)


def _text_of(content: Any, param: str) -> str:
    """The text of a system or tool message (a string or a list of text parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise _bad("only text parts are accepted here", param)
            texts.append(str(part.get("text") or ""))
        return "\n".join(texts)
    raise _bad("content must be a string or a list of parts", param)


def _image_block(url: str, param: str) -> dict[str, Any]:
    if not url.startswith("data:"):
        raise _bad("Bedrock deployments take images as data: URLs", param)
    header, _, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    image_format = _IMAGE_FORMATS.get(media_type.lower())
    if image_format is None or encoding != "base64":
        raise _bad("images must be base64 data URLs of png, jpeg, gif or webp", param)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("the image data URL is not valid base64", param) from None
    encoded = base64.b64encode(raw).decode()
    return {"image": {"format": image_format, "source": {"bytes": encoded}}}


def _content_blocks(content: Any, param: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        raise _bad("content must be a string or a list of parts", param)
    blocks: list[dict[str, Any]] = []
    for index, part in enumerate(content):
        where = f"{param}[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            if part.get("text"):
                blocks.append({"text": str(part["text"])})
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str):
                raise _bad("image_url needs a url", where)
            blocks.append(_image_block(url, where))
        else:
            raise _bad(f"content parts of type {kind!r} are not supported by Bedrock", where)
    return blocks


def _tool_use_blocks(tool_calls: Any, param: str) -> list[dict[str, Any]]:
    if not isinstance(tool_calls, list):
        raise _bad("tool_calls must be a list", param)
    blocks = []
    for index, call in enumerate(tool_calls):
        where = f"{param}[{index}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not call.get("id") or not function.get("name"):
            raise _bad("a tool call needs an id and a function name", where)
        arguments = function.get("arguments") or "{}"
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        except json.JSONDecodeError:
            raise _bad("tool call arguments must be JSON", where) from None
        if not isinstance(parsed, dict):
            raise _bad("tool call arguments must be a JSON object", where)
        tool_use = {"toolUseId": str(call["id"]), "name": str(function["name"]), "input": parsed}
        blocks.append({"toolUse": tool_use})
    return blocks


def _tool_result_block(message: dict[str, Any], param: str) -> dict[str, Any]:
    tool_use_id = message.get("tool_call_id")
    if not tool_use_id:
        raise _bad("a tool message needs tool_call_id", param)
    text = _text_of(message.get("content"), f"{param}.content")
    # No ``status``: only Anthropic models accept it.
    result = {"toolUseId": str(tool_use_id), "content": [{"text": text}]}
    return {"toolResult": result}


def _messages(messages: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """(system blocks, alternating messages, whether the history holds tool blocks)."""
    if not isinstance(messages, list) or not messages:
        raise _bad("messages must be a non-empty list", "messages")
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    has_tools = False
    for index, message in enumerate(messages):
        param = f"messages[{index}]"
        if not isinstance(message, dict):
            raise _bad("each message must be an object", param)
        role = message.get("role")
        if role in ("system", "developer"):
            text = _text_of(message.get("content"), f"{param}.content")
            if text:
                system.append({"text": text})
            continue
        if role not in _ROLES:
            raise _bad(f"unknown role {role!r}", f"{param}.role")
        if role in ("tool", "function"):
            blocks = [_tool_result_block(message, param)]
            has_tools = True
        else:
            blocks = _content_blocks(message.get("content"), f"{param}.content")
            if role == "assistant" and message.get("tool_calls"):
                blocks += _tool_use_blocks(message["tool_calls"], f"{param}.tool_calls")
                has_tools = True
        if not blocks:
            continue
        converse_role = _ROLES[str(role)]
        if turns and turns[-1]["role"] == converse_role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": converse_role, "content": blocks})
    if not turns:
        raise _bad("messages must hold at least one user or assistant message", "messages")
    return system, turns, has_tools


def _tool_config(body: dict[str, Any], has_tools: bool) -> dict[str, Any] | None:
    tools = body.get("tools")
    if not tools:
        return None
    choice = body.get("tool_choice")
    if choice == "none" and not has_tools:
        return None
    specs = []
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not function.get("name"):
            raise _bad("each tool needs a function with a name", f"tools[{index}]")
        spec: dict[str, Any] = {
            "name": function["name"],
            "inputSchema": {"json": function.get("parameters") or {"type": "object"}},
        }
        if function.get("description"):
            spec["description"] = function["description"]
        specs.append({"toolSpec": spec})
    config: dict[str, Any] = {"tools": specs}
    if choice == "auto":
        config["toolChoice"] = {"auto": {}}
    elif choice == "required":
        config["toolChoice"] = {"any": {}}
    elif isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if not name:
            raise _bad("tool_choice must name a function", "tool_choice")
        config["toolChoice"] = {"tool": {"name": name}}
    return config


def _inference_config(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    if body.get("temperature") is not None:
        config["temperature"] = body["temperature"]
    if body.get("top_p") is not None:
        config["topP"] = body["top_p"]
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    return config


def _family(model_id: str) -> str:
    """The vendor of a model id, inference profile or ARN (``us.anthropic.claude-...``)."""
    name = model_id.rsplit("/", 1)[-1]
    for family in ("anthropic", "amazon", "mistral", "meta"):
        if f"{family}." in name:
            return family
    return ""


def _additional_fields(body: dict[str, Any], model_id: str) -> dict[str, Any]:
    """Model-specific fields: ``top_k`` in the form the model's family reads it."""
    top_k = body.get("top_k")
    if top_k is None:
        return {}
    family = _family(model_id)
    if family in ("anthropic", "mistral"):
        return {"top_k": top_k}
    if family == "amazon":
        return {"inferenceConfig": {"topK": top_k}}
    raise _bad("top_k is not supported by this Bedrock model", "top_k")


def to_converse_request(body: dict[str, Any], model_id: str = "") -> dict[str, Any]:
    """The Converse body for an OpenAI chat body (the model goes in the URL, not here)."""
    if (body.get("n") or 1) != 1:
        raise _bad("Bedrock deployments answer with one choice (n=1)", "n")
    system, messages, has_tools = _messages(body.get("messages"))
    request: dict[str, Any] = {"messages": messages}
    if system:
        request["system"] = system
    inference = _inference_config(body)
    if inference:
        request["inferenceConfig"] = inference
    tool_config = _tool_config(body, has_tools)
    if tool_config is not None:
        request["toolConfig"] = tool_config
    additional = _additional_fields(body, model_id)
    if additional:
        request["additionalModelRequestFields"] = additional
    return request
