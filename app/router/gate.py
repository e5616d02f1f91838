"""Per-deployment limits (``rpm``, ``tpm``, ``max_parallel_requests``).

With a counter store they hold across every instance (one atomic admit per attempt, only
for deployments that set a limit); without one, in this process only. In-flight counts
and minute windows are kept locally either way, for the least-busy and usage-based
strategies.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from app.limits.counters import Admission, CounterStore, LimitLevel, Reservation
from app.router.deployment import Deployment

__all__ = ["DeploymentGate", "GatePass"]


@dataclass(slots=True)
class GatePass:
    deployment: Deployment
    estimated_tokens: int
    reservation: Reservation | None = None
    left: bool = False


class DeploymentGate:
    def __init__(
        self, counters: CounterStore | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._counters = counters
        self._clock = clock

    @staticmethod
    def _limited(deployment: Deployment) -> bool:
        params = deployment.params
        return any(v is not None for v in (params.rpm, params.tpm, params.max_parallel_requests))

    async def enter(self, deployment: Deployment, tokens: int) -> GatePass | None:
        """A pass through the deployment's limits, or None when it is full right now."""
        if self._counters is None or not self._limited(deployment):
            if not deployment.has_capacity(tokens):
                return None
            deployment.start(tokens)
            return GatePass(deployment, tokens)
        params = deployment.params
        result = await self._counters.admit(
            Admission(
                request_id=f"{deployment.id}:{uuid.uuid4().hex}",
                levels=[
                    LimitLevel(
                        scope=f"deployment:{deployment.id}",
                        rpm=params.rpm,
                        tpm=params.tpm,
                        max_parallel=params.max_parallel_requests,
                    )
                ],
                tokens=tokens,
                reserve=Decimal(0),
                now=self._clock(),
            )
        )
        if not result.admitted:
            return None
        deployment.start(tokens)
        return GatePass(deployment, tokens, result.reservation)

    async def leave(self, gate_pass: GatePass, tokens_used: int | None) -> None:
        """Release the pass once; ``tokens_used`` corrects the estimate."""
        if gate_pass.left:
            return
        gate_pass.left = True
        deployment = gate_pass.deployment
        deployment.finish()
        if tokens_used is not None:
            deployment.add_tokens(max(0, tokens_used - gate_pass.estimated_tokens))
        if gate_pass.reservation is not None and self._counters is not None:
            await self._counters.settle(
                gate_pass.reservation,
                cost=Decimal(0),
                tokens=tokens_used if tokens_used is not None else gate_pass.estimated_tokens,
                now=self._clock(),
            )
