"""ASGI middleware of the whole app."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.observability.request_ids import bind_request_id, new_request_id, unbind_request_id
from app.watchdog import LoopWatchdog

__all__ = ["RequestIds", "WatchedRequests"]

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
