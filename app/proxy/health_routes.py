"""Liveness, readiness (database, Redis) and per-deployment health."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get

from app.errors import PermissionDeniedError
from app.gateway.pipeline import Gateway, RequestContext
from app.providers.base import Operation
from app.runtime import Runtime
from app.watchdog import LoopStalls

__all__ = ["HEALTH_ROUTES"]

_encode = msgspec.json.encode


def _json(body: dict[str, Any], status: int = 200) -> Response[bytes]:
    return Response(_encode(body), status_code=status, media_type="application/json")


@get(["/health/liveliness", "/health/liveness"])
async def liveness() -> Response[bytes]:
    return _json({"status": "alive"})


@get("/health/readiness")
async def readiness(request: Request[Any, Any, Any]) -> Response[bytes]:
    runtime: Runtime = request.app.state.runtime
    if runtime.drain.draining:
        # Shutting down: the load balancer should send nothing more here.
        return _json({"status": "draining"}, 503)
    checks = await runtime.check_dependencies()
    # PostgreSQL and Redis are shared by every instance: when one fails, all fail alike and
    # each still serves what it can (cached keys, calls with nothing to count). Answering
    # 503 would make the load balancer drop every instance at once, so a failing shared
    # dependency reads "degraded" with 200; only this instance's own state (draining) is 503.
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    stalls: LoopStalls = request.app.state.watchdog.stalls
    loop = {
        "stalls": stalls.count,
        "longest_stall_ms": round(stalls.longest_seconds * 1000),
        "stalled_ms": round(stalls.total_seconds * 1000),
    }
    body = {"status": "ready" if healthy else "degraded", **checks, "event_loop": loop}
    return _json(body)


@get("/health")
async def deployment_health(request: Request[Any, Any, Any]) -> Response[bytes]:
    ctx = RequestContext.begin(Operation.CHAT, request.headers)
    request.state.request_id = ctx.request_id
    gateway: Gateway = request.app.state.gateway
    caller = await gateway.authenticate(ctx, request.headers)
    if not (caller.is_master or (caller.identity is not None and caller.identity.is_admin)):
        raise PermissionDeniedError(
            "Deployment health is for administrators: use the master key or an admin key.",
            code="admin_only",
        )
    runtime: Runtime = request.app.state.runtime
    results = [r.to_dict() for r in await runtime.health.check_all()]
    healthy = [r for r in results if r["healthy"] is True]
    unhealthy = [r for r in results if r["healthy"] is False]
    return _json(
        {
            "healthy_endpoints": healthy,
            "unhealthy_endpoints": unhealthy,
            "unchecked_endpoints": [r for r in results if r["healthy"] is None],
            "healthy_count": len(healthy),
            "unhealthy_count": len(unhealthy),
        }
    )


HEALTH_ROUTES = [liveness, readiness, deployment_health]
