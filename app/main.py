"""The composition root: builds the Litestar app from settings and registers everything."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.logging import LoggingConfig
from litestar.logging.config import default_handlers

from app.observability.logs import JsonFormatter, RequestIdFilter, quiet_url_loggers
from app.proxy.auth_routes import AUTH_ROUTES
from app.proxy.console_routes import CONSOLE_ROUTES
from app.proxy.errors import EXCEPTION_HANDLERS
from app.proxy.graphiql_routes import with_graphiql
from app.proxy.health_routes import HEALTH_ROUTES
from app.proxy.messages_routes import MESSAGES_ROUTES
from app.proxy.metrics_routes import METRICS_ROUTES
from app.proxy.middleware import AnsweredAtShutdown, RequestIds, WatchedRequests
from app.proxy.models_routes import MODEL_ROUTES
from app.proxy.openai_routes import OPENAI_ROUTES
from app.proxy.responses_routes import RESPONSES_ROUTES
from app.runtime import Runtime
from app.settings import Settings, get_settings
from app.watchdog import LoopWatchdog
from graphql_schema.controller import GraphQLController

__all__ = ["create_app", "create_app_from_env"]

_MAX_BODY = 64 * 1024 * 1024


def create_app(settings: Settings) -> Litestar:
    quiet_url_loggers()
    runtime = Runtime.build(settings)
    watchdog = LoopWatchdog()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await runtime.start()
        watchdog.start()
        unfollow = runtime.drain.follow_signals()
        try:
            yield
        finally:
            unfollow()
            watchdog.stop()
            await runtime.stop()

    app = Litestar(
        route_handlers=[
            *OPENAI_ROUTES,
            *MESSAGES_ROUTES,
            *RESPONSES_ROUTES,
            *MODEL_ROUTES,
            *HEALTH_ROUTES,
            *METRICS_ROUTES,
            *AUTH_ROUTES,
            *with_graphiql(GraphQLController),
            *CONSOLE_ROUTES,
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        middleware=[RequestIds(), WatchedRequests(watchdog), AnsweredAtShutdown(runtime.drain)],
        request_max_body_size=_MAX_BODY,
        logging_config=_logging_config(settings),
        openapi_config=None,
    )
    app.state.runtime = runtime
    app.state.gateway = runtime.gateway
    app.state.watchdog = watchdog
    app.state.metrics = runtime.metrics
    return app


def _logging_config(settings: Settings) -> LoggingConfig:
    root: dict[str, Any] = {"level": settings.log_level.upper(), "handlers": ["queue_listener"]}
    if not settings.json_logs:
        return LoggingConfig(root=root, log_exceptions="never")
    logging.captureWarnings(True)  # Python's warnings become JSON lines too
    return LoggingConfig(
        root=root,
        log_exceptions="never",
        formatters={"standard": {"()": JsonFormatter}},
        filters={"request_id": {"()": RequestIdFilter}},
        handlers={
            name: {**spec, "filters": ["request_id"]} for name, spec in default_handlers.items()
        },
    )


def create_app_from_env() -> Litestar:
    """Factory for uvicorn workers: settings come from the environment."""
    return create_app(get_settings())
