"""Request validation for ``/v1``: the types of known fields, checked before any upstream call.

Bodies are decoded once into plain dicts (unknown fields pass through to
OpenAI-compatible upstreams); these msgspec Structs only check what they name.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from app.errors import BadRequestError

__all__ = [
    "ChatRequest",
    "CompletionRequest",
    "EmbeddingRequest",
    "ImageRequest",
    "ModerationRequest",
    "SpeechRequest",
    "decode_json_object",
    "validate",
]

Temperature = Annotated[float, Meta(ge=0, le=2)]
Penalty = Annotated[float, Meta(ge=-2, le=2)]
Positive = Annotated[int, Meta(ge=1)]
Tokens = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Choices = Annotated[int, Meta(ge=1, le=128)]
Stop = str | list[str] | None


class _Base(msgspec.Struct, forbid_unknown_fields=False):
    """Checks the fields it names; other fields are left for the upstream."""


class ImageUrl(_Base):
    url: str
    detail: str | None = None


class ContentPart(_Base):
    type: str
    text: str | None = None
    image_url: ImageUrl | None = None
    input_audio: dict[str, Any] | None = None
    file: dict[str, Any] | None = None


class FunctionCall(_Base):
    name: str
    arguments: str


class ToolCall(_Base):
    id: str
    function: FunctionCall
    type: str = "function"


class Message(_Base):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class FunctionDef(_Base):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(_Base):
    type: str
    function: FunctionDef | None = None


class StreamOptions(_Base):
    include_usage: bool | None = None


class ChatRequest(_Base):
    model: str
    messages: Annotated[list[Message], Meta(min_length=1)]
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    temperature: Temperature | None = None
    top_p: Annotated[float, Meta(ge=0, le=1)] | None = None
    n: Choices | None = None
    max_tokens: Tokens | None = None
    max_completion_tokens: Tokens | None = None
    stop: Stop = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Meta(ge=0, le=20)] | None = None
    seed: int | None = None
    user: str | None = None
    tools: list[Tool] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class CompletionRequest(_Base):
    model: str
    prompt: str | list[str | int | list[int]]
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: Tokens | None = None
    temperature: Temperature | None = None
    top_p: Annotated[float, Meta(ge=0, le=1)] | None = None
    n: Choices | None = None
    stop: Stop = None
    echo: bool | None = None
    suffix: str | None = None
    user: str | None = None


class EmbeddingRequest(_Base):
    model: str
    input: str | list[str | int | list[int]]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: Positive | None = None
    user: str | None = None


class ImageRequest(_Base):
    model: str
    prompt: Annotated[str, Meta(min_length=1)]
    n: Annotated[int, Meta(ge=1, le=10)] | None = None
    size: str | None = None
    quality: str | None = None
    response_format: Literal["url", "b64_json"] | None = None
    style: str | None = None
    user: str | None = None


class SpeechRequest(_Base):
    model: str
    input: Annotated[str, Meta(min_length=1)]
    voice: str
    response_format: str | None = None
    speed: Annotated[float, Meta(ge=0.25, le=4.0)] | None = None


class ModerationRequest(_Base):
    input: str | list[str | dict[str, Any]]
    model: str | None = None


_decode_any = msgspec.json.Decoder().decode
_PATH = re.compile(r"at `\$\.?(.*)`$")
_FORBIDDEN_OVERRIDES = ("api_base", "base_url", "api_key", "api_version", "organization")


def decode_json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a dict, or a 400 in OpenAI's shape."""
    if not raw:
        raise BadRequestError("The request body is empty; send a JSON object.")
    try:
        data = _decode_any(raw)
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"The request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequestError("The request body's JSON nests too deeply.") from None
    if not isinstance(data, dict):
        raise BadRequestError("The request body must be a JSON object.")
    for name in _FORBIDDEN_OVERRIDES:
        if name in data:
            raise BadRequestError(
                f"`{name}` cannot be set by a caller; deployments are configured by the "
                "gateway administrator.",
                param=name,
            )
    return data


def validate(body: dict[str, Any], schema: type[msgspec.Struct]) -> None:
    """Check the known fields' types; unknown fields are left to the upstream."""
    try:
        msgspec.convert(body, schema, strict=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _PATH.search(message)
        param = match.group(1) if match else None
        text = message.split(" - at ")[0]
        if param is None and "missing required field" in message:
            param = message.rsplit("`", 2)[-2] if message.count("`") >= 2 else None
        raise BadRequestError(
            f"Invalid request: {text}" + (f" (at `{param}`)" if param else ""),
            param=param or None,
            code="invalid_value" if param else None,
        ) from None
