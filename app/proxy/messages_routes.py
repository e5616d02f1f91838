"""Anthropic's Messages API: ``POST /v1/messages`` and ``/v1/messages/count_tokens``.

Calls take the same path as ``/v1/chat/completions`` (authentication, admission, budgets,
limits, routing, spend and the request log); errors answer in Anthropic's shape, and a
failure mid-stream ends the stream with an ``error`` event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
from litestar import Request, Response, post
from litestar.response import Stream

from app.drain import Drain
from app.errors import DeltaLLMError, ShuttingDownError
from app.gateway.metering import AnswerStream
from app.gateway.pipeline import Gateway, RequestContext
from app.messages.request import validate_messages_body
from app.messages.stream import anthropic_event
from app.providers.base import Operation
from app.proxy.messages_errors import MESSAGES_EXCEPTION_HANDLERS, MESSAGES_PATH, error_type
from app.proxy.responses import gateway_headers, json_response
from app.proxy.schemas import decode_json_object
from app.tokens import estimate_prompt_tokens

__all__ = ["MESSAGES_ROUTES"]

AnyRequest = Request[Any, Any, Any]

log = logging.getLogger("deltallm.proxy")
_PARSE_INLINE_BYTES = 256 * 1024


async def _begin(
    request: AnyRequest, *, count_only: bool = False
) -> tuple[Gateway, RequestContext, dict[str, Any]]:
    ctx = RequestContext.begin(Operation.MESSAGES, request.headers)
    request.state.request_id = ctx.request_id
    request.state.call = ctx
    gateway: Gateway = request.app.state.gateway
    await gateway.authenticate(ctx, request.headers)
    raw = await request.body()
    if len(raw) <= _PARSE_INLINE_BYTES:
        body = decode_json_object(raw)
    else:
        body = await anyio.to_thread.run_sync(decode_json_object, raw)
    validate_messages_body(body, count_only=count_only)
    return gateway, ctx, body


def _headers(ctx: RequestContext) -> dict[str, str]:
    headers = gateway_headers(ctx)
    headers["request-id"] = ctx.request_id
    return headers


def _error_event(exc: DeltaLLMError) -> bytes:
    error = {"type": error_type(exc.status_code), "message": exc.message}
    return anthropic_event("error", {"error": error})


async def _relay(ctx: RequestContext, stream: AnswerStream, drain: Drain) -> AsyncIterator[bytes]:
    try:
        async for chunk in stream:
            yield chunk
            if drain.expired:
                ended = ShuttingDownError(
                    "The gateway is shutting down; this stream was ended before it finished."
                )
                stream.interrupt(ended)
                log.warning("stream %s ended at the shutdown deadline", ctx.request_id)
                yield _error_event(ended)
                return
    except DeltaLLMError as exc:
        log.warning("stream %s ended by upstream error: %s", ctx.request_id, exc.message)
        yield _error_event(exc)
    finally:
        await stream.aclose()


@post(MESSAGES_PATH, status_code=200, exception_handlers=MESSAGES_EXCEPTION_HANDLERS)  # type: ignore[arg-type]
async def messages(request: AnyRequest) -> Response[bytes] | Stream:
    gateway, ctx, body = await _begin(request)
    beta = request.headers.get("anthropic-beta")
    if beta and "anthropic_beta" not in body:
        body["anthropic_beta"] = [name.strip() for name in beta.split(",") if name.strip()]
    if body.get("stream"):
        stream = await gateway.stream(ctx, body)
        headers = _headers(ctx)
        headers["cache-control"] = "no-cache"
        headers["x-accel-buffering"] = "no"
        drain = request.app.state.runtime.drain
        return Stream(_relay(ctx, stream, drain), media_type="text/event-stream", headers=headers)
    routed = await gateway.call(ctx, body)
    response = json_response(ctx, routed.result.content, routed.result.media_type)
    response.headers["request-id"] = ctx.request_id
    return response


@post(
    f"{MESSAGES_PATH}/count_tokens",
    status_code=200,
    exception_handlers=MESSAGES_EXCEPTION_HANDLERS,  # type: ignore[arg-type]
)
async def count_tokens(request: AnyRequest) -> Response[dict[str, int]]:
    gateway, ctx, body = await _begin(request, count_only=True)
    identity = ctx.caller.identity if ctx.caller else None
    gateway.authorize_model(identity, str(body["model"]))
    tokens = estimate_prompt_tokens(body)
    return Response({"input_tokens": tokens}, status_code=200, headers=_headers(ctx))


MESSAGES_ROUTES = [messages, count_tokens]
