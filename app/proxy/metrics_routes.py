"""``GET /metrics``: the Prometheus exposition, for the master key or the metrics key."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST

from app.errors import AuthenticationError
from app.gateway.auth import extract_key
from app.observability.settings import may_scrape
from app.runtime import Runtime

__all__ = ["METRICS_ROUTES"]


@get("/metrics")
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings.config.general_settings.metrics
    try:
        token: str | None = extract_key(request.headers)
    except AuthenticationError:
        token = None
    if not may_scrape(settings, runtime.settings.master_key, token):
        raise AuthenticationError(
            "Metrics need the master key or general_settings.metrics.metrics_key as "
            "`Authorization: Bearer <key>`.",
            code="invalid_api_key",
        )
    runtime.state_gauges.refresh()
    await runtime.state_gauges.refresh_budgets()
    body = await asyncio.to_thread(runtime.metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


METRICS_ROUTES = [metrics]
