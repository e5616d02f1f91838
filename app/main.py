"""The composition root: builds the Litestar app from settings and registers everything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.logging import LoggingConfig

from app.proxy.auth_routes import AUTH_ROUTES
from app.proxy.console_routes import CONSOLE_ROUTES
from app.proxy.errors import EXCEPTION_HANDLERS
from app.proxy.graphiql_routes import with_graphiql
from app.proxy.health_routes import HEALTH_ROUTES
from app.proxy.middleware import AnsweredAtShutdown, WatchedRequests
from app.proxy.models_routes import MODEL_ROUTES
from app.proxy.openai_routes import OPENAI_ROUTES
from app.runtime import Runtime
from app.settings import Settings, get_settings
from app.watchdog import LoopWatchdog
from graphql_schema.controller import GraphQLController

__all__ = ["create_app", "create_app_from_env"]

_MAX_BODY = 64 * 1024 * 1024


def create_app(settings: Settings) -> Litestar:
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
            *MODEL_ROUTES,
            *HEALTH_ROUTES,
            *AUTH_ROUTES,
            *with_graphiql(GraphQLController),
            *CONSOLE_ROUTES,
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        middleware=[WatchedRequests(watchdog), AnsweredAtShutdown(runtime.drain)],
        request_max_body_size=_MAX_BODY,
        logging_config=LoggingConfig(
            root={"level": settings.log_level.upper(), "handlers": ["queue_listener"]},
            log_exceptions="never",
        ),
        openapi_config=None,
    )
    app.state.runtime = runtime
    app.state.gateway = runtime.gateway
    app.state.watchdog = watchdog
    return app


def create_app_from_env() -> Litestar:
    """Factory for uvicorn workers: settings come from the environment."""
    return create_app(get_settings())
