"""ASGI middleware of the whole app."""

from __future__ import annotations

import asyncio
import contextlib

import msgspec
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from app.drain import Drain
from app.errors import ShuttingDownError
from app.observability.request_ids import bind_request_id, new_request_id, unbind_request_id
from app.watchdog import LoopWatchdog

__all__ = ["AnsweredAtShutdown", "RequestIds", "WatchedRequests"]

_REQUEST_ID_HEADER = b"x-request-id"


class WatchedRequests(ASGIMiddleware):
    """Tells the loop watchdog which task serves which HTTP request."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, watchdog: LoopWatchdog) -> None:
        self._watchdog = watchdog

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        task = self._watchdog.serving(scope)  # type: ignore[arg-type]
        try:
            await next_app(scope, receive, send)
        finally:
            self._watchdog.served(task)


class RequestIds(ASGIMiddleware):
    """Gives every HTTP request an id: on each log line written while serving it, and
    in the ``x-request-id`` response header (``/v1`` answers set it themselves)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = new_request_id()
        token = bind_request_id(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(name.lower() == _REQUEST_ID_HEADER for name, _ in headers):
                    headers.append((_REQUEST_ID_HEADER, request_id.encode()))
                    message["headers"] = headers
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            unbind_request_id(token)


class AnsweredAtShutdown(ASGIMiddleware):
    """A call still unanswered when shutdown cancels it (past the drain deadline) gets a
    503 with code ``shutting_down`` in OpenAI's error shape, not the server's plain 500."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, drain: Drain) -> None:
        self._drain = drain

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        try:
            await next_app(scope, receive, send)
        except asyncio.CancelledError:
            if self._drain.draining:
                body = ShuttingDownError(
                    "The gateway shut down before this call was answered."
                ).to_body()
                # An answer already begun cannot take a new status: the server says so.
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": ShuttingDownError.status_code,
                    "headers": [(b"content-type", b"application/json")],
                }
                end: HTTPResponseBodyEvent = {
                    "type": "http.response.body",
                    "body": msgspec.json.encode(body),
                    "more_body": False,
                }
                with contextlib.suppress(RuntimeError, OSError):
                    await send(start)
                    await send(end)
            raise
