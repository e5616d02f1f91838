"""A deployment at run time: its adapter plus the state routing decides on."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from app.config import DeploymentParams, ModelInfo
from app.providers.base import Provider
from app.providers.naming import split_provider_model

__all__ = ["Deployment", "MinuteWindow"]

_EWMA_ALPHA = 0.3


@dataclass(slots=True)
class MinuteWindow:
    """Requests and tokens in the current clock minute (per-deployment rpm/tpm)."""

    minute: int = -1
    requests: int = 0
    tokens: int = 0

    def roll(self, now: float) -> None:
        minute = int(now // 60)
        if minute != self.minute:
            self.minute, self.requests, self.tokens = minute, 0, 0


@dataclass(slots=True)
class Deployment:
    id: str
    model_name: str
    params: DeploymentParams
    info: ModelInfo
    provider: Provider
    clock: Callable[[], float] = time.monotonic
    in_flight: int = 0
    latency: float | None = None
    cooldown_until: float = 0.0
    healthy: bool = True
    health_error: str | None = None
    probed_at: float | None = None
    """Wall-clock time (epoch seconds) of the last health probe; None: never probed."""
    failures: deque[float] = field(default_factory=deque)
    window: MinuteWindow = field(default_factory=MinuteWindow)

    @property
    def is_wildcard(self) -> bool:
        return self.model_name.endswith("*")

    def matches(self, requested: str) -> bool:
        """Whether a wildcard deployment (``openai/*``, ``claude-*``) serves this name."""
        return self.is_wildcard and requested.startswith(self.model_name[:-1])

    def upstream_model(self, requested: str) -> str:
        name = self.params.upstream_model
        if not name.endswith("*"):
            return name
        _, requested_name = split_provider_model(requested)
        return name[:-1] + requested_name.removeprefix(name[:-1])

    def price(self) -> tuple[Decimal | None, Decimal | None]:
        return (
            self.params.input_cost_per_token or self.info.input_cost_per_token,
            self.params.output_cost_per_token or self.info.output_cost_per_token,
        )

    # --- state -----------------------------------------------------------------

    def cooling_down(self) -> bool:
        return self.cooldown_until > self.clock()

    def cooldown_left(self) -> float:
        """Seconds until the cooldown ends (0: not cooling down)."""
        return max(0.0, self.cooldown_until - self.clock())

    def has_capacity(self, tokens: int) -> bool:
        limit = self.params.max_parallel_requests
        if limit is not None and self.in_flight >= limit:
            return False
        self.window.roll(self.clock())
        if self.params.rpm is not None and self.window.requests >= self.params.rpm:
            return False
        return not (self.params.tpm is not None and self.window.tokens + tokens > self.params.tpm)

    def start(self, tokens: int) -> None:
        self.window.roll(self.clock())
        self.window.requests += 1
        self.window.tokens += tokens
        self.in_flight += 1

    def finish(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def add_tokens(self, tokens: int) -> None:
        self.window.roll(self.clock())
        self.window.tokens += tokens

    def record_latency(self, seconds: float) -> None:
        if self.latency is None:
            self.latency = seconds
        else:
            self.latency = _EWMA_ALPHA * seconds + (1 - _EWMA_ALPHA) * self.latency

    def record_failure(self, *, allowed_fails: int, cooldown: float, immediate: bool) -> None:
        """Count a failure; cool down after ``allowed_fails`` in a minute (or at once)."""
        now = self.clock()
        self.failures.append(now)
        while self.failures and self.failures[0] < now - 60:
            self.failures.popleft()
        if cooldown > 0 and (immediate or len(self.failures) >= allowed_fails):
            self.cooldown_until = now + cooldown
            self.failures.clear()

    def record_success(self) -> None:
        self.failures.clear()
