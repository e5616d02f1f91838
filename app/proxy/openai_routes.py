"""The OpenAI REST surface: each handler parses, calls the gateway, shapes the answer."""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.response import Stream

from app.errors import BadRequestError
from app.gateway.pipeline import Gateway, RequestContext
from app.providers.base import FilePart, Operation
from app.proxy import schemas
from app.proxy.responses import json_response, sse_response

__all__ = ["OPENAI_ROUTES"]

AnyRequest = Request[Any, Any, Any]

_SCHEMAS: dict[Operation, type[msgspec.Struct]] = {
    Operation.CHAT: schemas.ChatRequest,
    Operation.COMPLETION: schemas.CompletionRequest,
    Operation.EMBEDDING: schemas.EmbeddingRequest,
    Operation.IMAGE_GENERATION: schemas.ImageRequest,
    Operation.SPEECH: schemas.SpeechRequest,
    Operation.MODERATION: schemas.ModerationRequest,
}
_STREAMABLE = frozenset({Operation.CHAT, Operation.COMPLETION})
_PARSE_INLINE_BYTES = 256 * 1024
"""Bodies up to this size are decoded on the event loop (tens of microseconds); larger
ones, whose decoding costs milliseconds per megabyte, in a worker thread."""


def _gateway(request: AnyRequest) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _parse(raw: bytes, op: Operation, model: str | None) -> dict[str, Any]:
    body = schemas.decode_json_object(raw)
    if model is not None:
        body["model"] = model
    if op is Operation.MODERATION and not body.get("model"):
        body["model"] = "omni-moderation-latest"
    schemas.validate(body, _SCHEMAS[op])
    return body


async def _serve_json(
    request: AnyRequest, op: Operation, model: str | None = None
) -> Response[bytes] | Stream:
    ctx = RequestContext.begin(op, request.headers)
    request.state.request_id = ctx.request_id
    request.state.call = ctx
    gateway = _gateway(request)
    await gateway.authenticate(ctx, request.headers)
    raw = await request.body()
    if len(raw) <= _PARSE_INLINE_BYTES:
        body = _parse(raw, op, model)
    else:
        body = await anyio.to_thread.run_sync(_parse, raw, op, model)
    if body.get("stream"):
        if op not in _STREAMABLE:
            raise BadRequestError(f"{op.value} cannot be streamed.", param="stream")
        drain = request.app.state.runtime.drain
        return sse_response(ctx, await gateway.stream(ctx, body), drain)
    routed = await gateway.call(ctx, body)
    return json_response(ctx, routed.result.content, routed.result.media_type)


@post(["/v1/chat/completions", "/chat/completions"], status_code=200)
async def chat_completions(request: AnyRequest) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.CHAT)


@post(
    [
        "/openai/deployments/{model:str}/chat/completions",
        "/v1/openai/deployments/{model:str}/chat/completions",
    ],
    status_code=200,
)
async def azure_chat_completions(request: AnyRequest, model: str) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.CHAT, model)


@post(["/v1/completions", "/completions"], status_code=200)
async def completions(request: AnyRequest) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.COMPLETION)


@post("/openai/deployments/{model:str}/completions", status_code=200)
async def azure_completions(request: AnyRequest, model: str) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.COMPLETION, model)


@post(["/v1/embeddings", "/embeddings"], status_code=200)
async def embeddings(request: AnyRequest) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.EMBEDDING)


@post("/openai/deployments/{model:str}/embeddings", status_code=200)
async def azure_embeddings(request: AnyRequest, model: str) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.EMBEDDING, model)


@post(["/v1/images/generations", "/images/generations"], status_code=200)
async def image_generations(request: AnyRequest) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.IMAGE_GENERATION)


@post(["/v1/audio/speech", "/audio/speech"], status_code=200)
async def audio_speech(request: AnyRequest) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.SPEECH)


@post(["/v1/moderations", "/moderations"], status_code=200)
async def moderations(request: AnyRequest) -> Response[bytes] | Stream:
    return await _serve_json(request, Operation.MODERATION)


_TRANSCRIPTION_FIELDS = {
    "language": str,
    "prompt": str,
    "response_format": str,
    "temperature": float,
}


@post(["/v1/audio/transcriptions", "/audio/transcriptions"], status_code=200)
async def audio_transcriptions(request: AnyRequest) -> Response[bytes]:
    ctx = RequestContext.begin(Operation.TRANSCRIPTION, request.headers)
    request.state.request_id = ctx.request_id
    request.state.call = ctx
    gateway = _gateway(request)
    await gateway.authenticate(ctx, request.headers)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequestError("Send the audio as multipart/form-data with a `file` field.")
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequestError("`file` is required: the audio file to transcribe.", param="file")
    body: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == "file" or isinstance(value, UploadFile):
            continue
        body.setdefault(key.removesuffix("[]"), []).append(value)
    fields: dict[str, Any] = {
        k: v[0] if len(v) == 1 and not k.endswith("granularities") else v for k, v in body.items()
    }
    if not isinstance(fields.get("model"), str) or not fields["model"]:
        raise BadRequestError("`model` is required.", param="model")
    if "temperature" in fields:
        try:
            float(fields["temperature"])
        except ValueError:
            raise BadRequestError("`temperature` must be a number.", param="temperature") from None
    data = await upload.read()
    part = FilePart(
        "file", upload.filename or "audio", upload.content_type or "application/octet-stream", data
    )
    routed = await gateway.call(ctx, fields, files=[part])
    return json_response(ctx, routed.result.content, routed.result.media_type)


OPENAI_ROUTES = [
    chat_completions,
    azure_chat_completions,
    completions,
    azure_completions,
    embeddings,
    azure_embeddings,
    image_generations,
    audio_speech,
    audio_transcriptions,
    moderations,
]
