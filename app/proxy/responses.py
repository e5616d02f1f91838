"""Shaping ``/v1`` answers: gateway headers on every response, SSE relays, error bodies."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import msgspec
from litestar import Response
from litestar.response import Stream

from app.errors import DeltaLLMError
from app.gateway.admission import rate_limit_headers
from app.gateway.pipeline import RequestContext
from app.providers.base import ProviderStream
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
    return headers


def json_response(
    ctx: RequestContext, content: bytes, media_type: str = "application/json"
) -> Response[bytes]:
    return Response(content, media_type=media_type, status_code=200, headers=gateway_headers(ctx))


async def _relay(ctx: RequestContext, stream: ProviderStream) -> AsyncIterator[bytes]:
    """Pass chunks through as they arrive; a failure mid-stream becomes an error event."""
    try:
        async for chunk in stream:
            yield chunk
    except DeltaLLMError as exc:
        log.warning("stream %s ended by upstream error: %s", ctx.request_id, exc.message)
        yield sse_event(_encode(exc.to_body()))
    finally:
        await stream.aclose()


def sse_response(ctx: RequestContext, stream: ProviderStream) -> Stream:
    headers = gateway_headers(ctx)
    headers["cache-control"] = "no-cache"
    headers["x-accel-buffering"] = "no"
    return Stream(_relay(ctx, stream), media_type="text/event-stream", headers=headers)
