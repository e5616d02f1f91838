"""Deployment health: an on-demand probe for ``/health`` and an optional background loop.

The loop runs on every instance, not under a cluster lease: a probe's result marks the
deployment healthy or not in this instance's router only, and it tests this instance's own
path to the upstream (its network, DNS, proxies). An instance that stopped probing would
keep routing to a deployment that another instance found down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from app.config import ModelMode
from app.errors import DeltaLLMError
from app.providers.base import Operation, ProviderCall
from app.router.deployment import Deployment
from app.router.router import Router

__all__ = ["DeploymentHealth", "HealthChecker"]

log = logging.getLogger("deltallm.health")

_PROBES: dict[ModelMode | None, tuple[Operation, dict[str, Any]] | None] = {
    None: (Operation.CHAT, {"messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}),
    ModelMode.CHAT: (
        Operation.CHAT,
        {"messages": [{"role": "user", "content": "ping"}], "max_tokens": 1},
    ),
    ModelMode.COMPLETION: (Operation.COMPLETION, {"prompt": "ping", "max_tokens": 1}),
    ModelMode.EMBEDDING: (Operation.EMBEDDING, {"input": "ping"}),
    ModelMode.MODERATION: (Operation.MODERATION, {"input": "ping"}),
}


@dataclass(slots=True)
class DeploymentHealth:
    deployment: Deployment
    healthy: bool | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.deployment
        return {
            "id": d.id,
            "model_name": d.model_name,
            "model": d.params.model,
            "provider": d.params.provider,
            "api_base": d.params.api_base,
            "healthy": self.healthy,
            "error": self.error,
        }


class HealthChecker:
    """Probes deployments with the smallest request their mode allows."""

    def __init__(self, router: Router, *, timeout: float = 10.0) -> None:
        self.router = router
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._interval: float | None = None

    async def probe(self, deployment: Deployment) -> DeploymentHealth:
        probe = _PROBES.get(deployment.info.mode)
        if deployment.is_wildcard or probe is None:
            return DeploymentHealth(deployment, None, "not probed for this mode")
        op, body = probe
        call = ProviderCall(op, {**body, "model": deployment.params.upstream_model})
        deployment.probed_at = time.time()
        try:
            await deployment.provider.call(call, self.timeout)
        except DeltaLLMError as exc:
            deployment.healthy, deployment.health_error = False, exc.message
            return DeploymentHealth(deployment, False, exc.message)
        deployment.healthy, deployment.health_error = True, None
        return DeploymentHealth(deployment, True)

    async def check_all(self) -> list[DeploymentHealth]:
        return list(await asyncio.gather(*(self.probe(d) for d in self.router.deployments)))

    def configure(self, interval: float | None, timeout: float) -> None:
        """Run the background loop every ``interval`` seconds (``None``: not at all)."""
        self.timeout = timeout
        if interval == self._interval and (interval is None or self._task is not None):
            return
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._interval = interval
        if interval is None:
            return

        async def loop() -> None:
            while True:
                results = await self.check_all()
                bad = [r.deployment.id for r in results if r.healthy is False]
                if bad:
                    log.warning("unhealthy deployments: %s", ", ".join(bad))
                await asyncio.sleep(interval)

        self._task = asyncio.create_task(loop(), name="deltallm-health-checks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._interval = None
