"""Errors on ``/v1/messages`` in Anthropic's shape, so the Anthropic SDKs raise their own
exception classes: ``{"type": "error", "error": {"type", "message"}}``."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from app.db.outage import DATABASE_UNAVAILABLE, database_unreachable, warn_unreachable
from app.errors import DeltaLLMError
from app.observability.request_ids import current_request_id
from app.proxy.refusals import count_refusal

__all__ = [
    "MESSAGES_EXCEPTION_HANDLERS",
    "MESSAGES_PATH",
    "anthropic_error",
    "error_type",
    "messages_http_error",
]

AnyRequest = Request[Any, Any, Any]
MESSAGES_PATH = "/v1/messages"

log = logging.getLogger("deltallm.proxy")

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def error_type(status: int) -> str:
    if status in _TYPES:
        return _TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


def anthropic_error(status: int, message: str) -> bytes:
    body = {"type": "error", "error": {"type": error_type(status), "message": message}}
    return msgspec.json.encode(body)


def _respond(
    request: AnyRequest, status: int, message: str, headers: dict[str, str] | None = None
) -> Response[bytes]:
    count_refusal(request, status)
    value = request.state.get("request_id")
    request_id = value if isinstance(value, str) else current_request_id() or uuid.uuid4().hex
    out = {"x-request-id": request_id, "request-id": request_id, **(headers or {})}
    return Response(
        anthropic_error(status, message),
        status_code=status,
        media_type="application/json",
        headers=out,
    )


def _gateway_error(request: AnyRequest, exc: DeltaLLMError) -> Response[bytes]:
    return _respond(request, exc.status_code, exc.message, exc.headers)


def messages_http_error(request: AnyRequest, exc: HTTPException) -> Response[bytes]:
    status = 400 if isinstance(exc, ValidationException) else exc.status_code
    message = exc.detail
    if status == 404:
        message = f"Unknown request URL: {request.method} {request.url.path}."
    return _respond(request, status, message, dict(exc.headers or {}))


def _unexpected(request: AnyRequest, exc: Exception) -> Response[bytes]:
    if database_unreachable(exc):
        warn_unreachable(exc, "a messages request")
        return _respond(request, 503, DATABASE_UNAVAILABLE, {"retry-after": "1"})
    request_id = request.state.get("request_id")
    log.exception("unexpected error in request %s", request_id)
    return _respond(request, 500, f"The gateway failed to handle the request ({request_id}).")


MESSAGES_EXCEPTION_HANDLERS = {
    DeltaLLMError: _gateway_error,
    HTTPException: messages_http_error,
    Exception: _unexpected,
}
