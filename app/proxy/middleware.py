"""ASGI middleware of the whole app."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.watchdog import LoopWatchdog

__all__ = ["WatchedRequests"]


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
