"""Every failure on ``/v1`` answers in OpenAI's error shape (on ``/graphql``, GraphQL's); no
traceback leaves the process."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from app.db.outage import DATABASE_UNAVAILABLE, database_unreachable, warn_unreachable
from app.errors import DatabaseUnavailableError, DeltaLLMError
from app.observability.request_ids import current_request_id
from app.proxy.messages_errors import MESSAGES_PATH, messages_http_error
from app.proxy.refusals import count_refusal

__all__ = ["EXCEPTION_HANDLERS"]

AnyRequest = Request[Any, Any, Any]

log = logging.getLogger("deltallm.proxy")
_encode = msgspec.json.encode

_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_denied",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "requests",
}


def _request_id(request: AnyRequest) -> str:
    value = request.state.get("request_id")
    if isinstance(value, str):
        return value
    return current_request_id() or uuid.uuid4().hex


def _respond(
    request: AnyRequest,
    status: int,
    body: Mapping[str, object],
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    out = {"x-request-id": _request_id(request), **(headers or {})}
    return Response(_encode(body), status_code=status, media_type="application/json", headers=out)


def _handle_gateway_error(request: AnyRequest, exc: DeltaLLMError) -> Response[bytes]:
    count_refusal(request, exc.status_code)
    return _respond(request, exc.status_code, exc.to_body(), exc.headers)


_GRAPHQL_CODES = {400: "BAD_REQUEST", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


def _handle_http_error(request: AnyRequest, exc: HTTPException) -> Response[bytes]:
    if request.url.path.startswith(MESSAGES_PATH):
        return messages_http_error(request, exc)
    status = exc.status_code
    message = exc.detail
    if isinstance(exc, ValidationException) or status == 400:
        status = 400
    if status == 404:
        message = f"Unknown request URL: {request.method} {request.url.path}."
    count_refusal(request, status)
    if request.url.path == "/graphql":
        code = _GRAPHQL_CODES.get(status, "BAD_REQUEST")
        errors = [{"message": message, "extensions": {"code": code}}]
        return _respond(request, status, {"errors": errors}, dict(exc.headers or {}))
    body = {
        "error": {
            "message": message,
            "type": _TYPES.get(status, "api_error"),
            "param": None,
            "code": None,
        }
    }
    return _respond(request, status, body, dict(exc.headers or {}))


def _handle_unexpected(request: AnyRequest, exc: Exception) -> Response[bytes]:
    request_id = _request_id(request)
    if database_unreachable(exc):
        warn_unreachable(exc, f"request {request_id}")
        outage = DatabaseUnavailableError(DATABASE_UNAVAILABLE, headers={"retry-after": "1"})
        return _handle_gateway_error(request, outage)
    log.exception("unexpected error in request %s", request_id)
    count_refusal(request, 500)
    body = {
        "error": {
            "message": f"The gateway failed to handle the request (request id {request_id}).",
            "type": "api_error",
            "param": None,
            "code": "internal_error",
        }
    }
    return _respond(request, 500, body)


EXCEPTION_HANDLERS = {
    DeltaLLMError: _handle_gateway_error,
    HTTPException: _handle_http_error,
    Exception: _handle_unexpected,
}
