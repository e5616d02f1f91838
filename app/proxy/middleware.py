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
    Receive,
    Scope,
    Send,
)

from app.drain import Drain
from app.errors import ShuttingDownError
from app.watchdog import LoopWatchdog

__all__ = ["AnsweredAtShutdown", "WatchedRequests"]


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
