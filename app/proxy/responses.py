"""Shaping ``/v1`` answers: gateway headers on every response, SSE relays, error bodies."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import msgspec
from litestar import Response
from litestar.response import Stream

from app.drain import Drain
from app.errors import DeltaLLMError, ShuttingDownError
from app.gateway.admission import rate_limit_headers
from app.gateway.metering import AnswerStream
from app.gateway.pipeline import RequestContext
from app.guardrails.errors import APPLIED_HEADER
from app.providers.sse import sse_event

__all__ = ["gateway_headers", "json_response", "sse_response"]

log = logging.getLogger("deltallm.proxy")
_encode = msgspec.json.encode


def gateway_headers(ctx: RequestContext) -> dict[str, str]:
    headers = {
        "x-request-id": ctx.request_id,
        "x-deltallm-overhead-ms": f"{ctx.overhead_ms():.3f}",
    }
    if ctx.admission is not None:
        headers.update(rate_limit_headers(ctx.admission))
    if ctx.guardrails:
        headers[APPLIED_HEADER] = ",".join(ctx.guardrails)
    if ctx.cache is not None:
        headers["x-deltallm-cache"] = ctx.cache
    return headers


def json_response(
    ctx: RequestContext, content: bytes, media_type: str = "application/json"
) -> Response[bytes]:
    return Response(content, media_type=media_type, status_code=200, headers=gateway_headers(ctx))


async def _relay(ctx: RequestContext, stream: AnswerStream, drain: Drain) -> AsyncIterator[bytes]:
    """Pass chunks through as they arrive; a failure mid-stream, or the end of the drain
    deadline at shutdown, becomes an error event."""
    try:
        async for chunk in stream:
            yield chunk
            if drain.expired:
                error = ShuttingDownError(
                    "The gateway is shutting down; this stream was ended before it finished."
                )
                stream.interrupt(error)
                log.warning("stream %s ended at the shutdown deadline", ctx.request_id)
                yield sse_event(_encode(error.to_body()))
                return
    except DeltaLLMError as exc:
        log.warning("stream %s ended by upstream error: %s", ctx.request_id, exc.message)
        yield sse_event(_encode(exc.to_body()))
    finally:
        await stream.aclose()


def sse_response(ctx: RequestContext, stream: AnswerStream, drain: Drain) -> Stream:
    headers = gateway_headers(ctx)
    headers["cache-control"] = "no-cache"
    headers["x-accel-buffering"] = "no"
    return Stream(_relay(ctx, stream, drain), media_type="text/event-stream", headers=headers)
