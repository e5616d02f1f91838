"""Counting data-plane requests that fail before settlement accounts for them (a bad key,
a bad body, an unknown model), so /metrics sees every request, whatever its error shape."""

from __future__ import annotations

from typing import Any

from litestar import Request

from app.gateway.pipeline import RequestContext
from app.observability.metrics import Metrics

__all__ = ["count_refusal"]

_DATA_PLANE = "/v1/"


def count_refusal(request: Request[Any, Any, Any], status: int) -> None:
    """Count a data-plane request that failed before settlement could account for it."""
    ctx = request.state.get("call")
    if ctx is None and not request.url.path.startswith(_DATA_PLANE):
        return
    if isinstance(ctx, RequestContext) and ctx.settles:
        return
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.refused(status)
