"""Rate limits and budgets while the shared counters (Redis) cannot be reached.

:class:`OutageTolerantCounters` wraps the Redis store. Admission follows
``general_settings.redis_unavailable`` per limit type: ``closed`` (the default) refuses the
calls those limits apply to with a 503 ``limits_unavailable`` naming the cause; ``open`` serves
them uncounted. Nothing already accepted is refused afterwards: a settlement or a stream's
budget extension that cannot reach Redis is logged and the answer goes on (its spend record is
still written; only the shared counters miss it). Warnings are logged once per interval, never
as a traceback per call; service resumes by itself when Redis answers again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from decimal import Decimal

from redis.exceptions import RedisError

from app.config_sections import RedisOutageSettings
from app.errors import LimitsUnavailableError
from app.limits.counters import Admission, AdmissionResult, CounterStore, Peek, Reservation

__all__ = ["OutageTolerantCounters"]

log = logging.getLogger("deltallm.limits")

_UNREACHABLE = (RedisError, OSError)
_WARN_EVERY_S = 10.0


def _unavailable(what: str) -> LimitsUnavailableError:
    return LimitsUnavailableError(
        f"{what} cannot be checked right now: the gateway's shared counter store (Redis) is "
        "unreachable. Try again shortly.",
        headers={"retry-after": "1"},
    )


class OutageTolerantCounters:
    """A :class:`CounterStore` that turns the inner store's connection failures into the
    configured outage behaviour."""

    def __init__(
        self,
        inner: CounterStore,
        policy: RedisOutageSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self._clock = clock
        self._warned_at: float | None = None
        self.failures = 0
        """Counter-store calls that failed since start (readable by health and metrics)."""
        self.served_open = 0
        """Calls admitted uncounted because Redis was down (``open``)."""
        self.refused = 0
        """Calls refused because Redis was down (``closed``)."""

    def _warn(self, action: str, exc: BaseException) -> None:
        self.failures += 1
        now = self._clock()
        if self._warned_at is None or now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "shared counters unreachable (%s: %s) while %s; rate limits: %s, budgets: %s "
                "(general_settings.redis_unavailable); %d failed calls so far",
                type(exc).__name__,
                exc,
                action,
                self.policy.rate_limits,
                self.policy.budgets,
                self.failures,
            )

    async def admit(self, a: Admission) -> AdmissionResult:
        try:
            return await self.inner.admit(a)
        except _UNREACHABLE as exc:
            self._warn("admitting a call", exc)
            rates = any(
                lv.rpm is not None or lv.tpm is not None or lv.max_parallel is not None
                for lv in a.levels
            )
            budgets = any(lv.max_budget is not None for lv in a.levels)
            if budgets and self.policy.budgets == "closed":
                self.refused += 1
                raise _unavailable("Budgets") from None
            if rates and self.policy.rate_limits == "closed":
                self.refused += 1
                raise _unavailable("Rate limits") from None
            # Served uncounted: no reservation, so settlement touches no counter.
            self.served_open += 1
            return AdmissionResult(admitted=True)

    async def peek(self, a: Admission, seeds: Sequence[Decimal] = ()) -> Peek:
        try:
            return await self.inner.peek(a, seeds)
        except _UNREACHABLE as exc:
            self._warn("reading limits", exc)
            raise _unavailable("Limits and budgets") from None

    async def settle(self, r: Reservation, *, cost: Decimal, tokens: int, now: float) -> None:
        try:
            await self.inner.settle(r, cost=cost, tokens=tokens, now=now)
        except _UNREACHABLE as exc:
            # The answer is delivered and its spend record is written; the reservation and
            # lease lapse by their own expiry.
            self._warn(f"settling request {r.request_id}", exc)

    async def extend(self, r: Reservation, extra: Decimal, now: float) -> bool:
        try:
            return await self.inner.extend(r, extra, now)
        except _UNREACHABLE as exc:
            # A stream already admitted finishes rather than being cut by an outage.
            self._warn(f"extending the budget reservation of {r.request_id}", exc)
            return True

    async def spent(self, scope: str, period: str | None) -> Decimal:
        try:
            return await self.inner.spent(scope, period)
        except _UNREACHABLE as exc:
            self._warn("reading a budget", exc)
            raise _unavailable("Budgets") from None

    async def seed_spent(self, scope: str, period: str | None, amount: Decimal) -> None:
        try:
            await self.inner.seed_spent(scope, period, amount)
        except _UNREACHABLE as exc:
            # Admission will say what it can; a missing seed is restored on a later call.
            self._warn("restoring a budget's spend", exc)
