"""Admission: one atomic check-and-charge of every limit and budget that applies.

Levels: the key, its user, team and org, the end user, and the key's per-model limits.
The request reserves its largest possible cost; settlement replaces that with the actual
cost. Callers with nothing to limit (the master key, unlimited keys) skip the round trip.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import PermissionDeniedError, RateLimitError
from app.keys.identity import KeyIdentity, ScopeLimits
from app.keys.lookup import load_end_user
from app.limits.counters import Admission, AdmissionResult, CounterStore, LimitLevel, Peek

__all__ = ["Admitter", "end_user_token", "key_levels", "rate_limit_headers", "refusal"]

_END_USER_TTL = 30.0
_END_USER_PREFIX = "end-user:"


def end_user_token(external_id: str) -> str:
    """What to announce on the key-invalidation channel when an end user changed.

    Key hashes are hex, so these never name a key; :meth:`Admitter.forget` reads them.
    """
    return f"{_END_USER_PREFIX}{external_id}"


def _limit_level(level: ScopeLimits, now: datetime) -> LimitLevel:
    budget = level.budget
    return LimitLevel(
        scope=level.scope,
        rpm=level.rpm,
        tpm=level.tpm,
        max_parallel=level.max_parallel,
        max_budget=budget.max_budget if budget else None,
        budget_period=budget.period(now) if budget and budget.max_budget is not None else None,
    )


def rate_limit_headers(result: AdmissionResult | None) -> dict[str, str]:
    """OpenAI's ``x-ratelimit-*`` headers for the tightest request and token limits."""
    if result is None:
        return {}
    headers: dict[str, str] = {}
    if result.limit_requests is not None:
        headers["x-ratelimit-limit-requests"] = str(result.limit_requests)
        headers["x-ratelimit-remaining-requests"] = str(max(0, result.remaining_requests or 0))
        headers["x-ratelimit-reset-requests"] = f"{result.reset_requests_s or 0:.0f}s"
    if result.limit_tokens is not None:
        headers["x-ratelimit-limit-tokens"] = str(result.limit_tokens)
        headers["x-ratelimit-remaining-tokens"] = str(max(0, result.remaining_tokens or 0))
        headers["x-ratelimit-reset-tokens"] = f"{result.reset_tokens_s or 0:.0f}s"
    return headers


class Admitter:
    def __init__(
        self,
        counters: CounterStore,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.counters = counters
        self._sessions = sessions
        self.clock = clock
        self._end_users: dict[str, tuple[float, ScopeLimits | None, bool]] = {}

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def seed(self, identity: KeyIdentity) -> None:
        """Restore each budget's period spend from the database if the counters lost it."""
        now = self.now()
        levels = [*identity.levels, *identity.model_levels.values()]
        for level in levels:
            budget = level.budget
            if budget is not None and budget.max_budget is not None:
                await self.counters.seed_spent(level.scope, budget.period(now), budget.seed(now))

    def forget(self, tokens: Iterable[str] | None) -> None:
        """Drop the end users named by :func:`end_user_token` (all when ``None``) from the
        cache, so their next request reads their budget and blocked flag again."""
        if tokens is None:
            self._end_users.clear()
            return
        for token in tokens:
            if token.startswith(_END_USER_PREFIX):
                self._end_users.pop(token.removeprefix(_END_USER_PREFIX), None)

    async def _end_user_level(self, end_user: str) -> ScopeLimits | None:
        cached = self._end_users.get(end_user)
        if cached is None or cached[0] < time.monotonic():
            level, blocked = await load_end_user(self._sessions, end_user)
            if level is not None and level.budget is not None:
                now = self.now()
                period = level.budget.period(now)
                await self.counters.seed_spent(level.scope, period, level.budget.seed(now))
            cached = (time.monotonic() + _END_USER_TTL, level, blocked)
            self._end_users[end_user] = cached
        if cached[2]:
            raise PermissionDeniedError(
                f"End user `{end_user}` is blocked.", param="user", code="end_user_blocked"
            )
        return cached[1]

    async def admit(
        self,
        request_id: str,
        identity: KeyIdentity | None,
        model_group: str,
        end_user: str | None,
        *,
        tokens: int,
        reserve: Decimal,
    ) -> AdmissionResult | None:
        """Charge every level at once, or raise a 429 naming the limit that refused."""
        levels = key_levels(identity, model_group)
        if end_user:
            level = await self._end_user_level(end_user)
            if level is not None:
                levels.append(level)
        if not levels:
            return None
        now = self.clock()
        moment = datetime.fromtimestamp(now, UTC)
        result = await self.counters.admit(
            Admission(
                request_id=request_id,
                levels=[_limit_level(level, moment) for level in levels],
                tokens=tokens,
                reserve=reserve,
                now=now,
            )
        )
        if not result.admitted:
            raise refusal(result)
        return result

    async def peek(
        self, levels: Iterable[ScopeLimits], *, tokens: int, reserve: Decimal
    ) -> tuple[list[LimitLevel], Peek]:
        """What :meth:`admit` would answer for these levels now, charging nothing; a budget
        whose counter is missing counts the spend :meth:`seed` would restore."""
        now = self.clock()
        moment = datetime.fromtimestamp(now, UTC)
        levels = list(levels)
        limits = [_limit_level(level, moment) for level in levels]
        seeds = [level.budget.seed(moment) if level.budget else Decimal(0) for level in levels]
        admission = Admission("peek", limits, tokens=tokens, reserve=reserve, now=now)
        return limits, await self.counters.peek(admission, seeds)


def key_levels(identity: KeyIdentity | None, model_group: str) -> list[ScopeLimits]:
    """The levels a key's call to ``model_group`` is admitted at (before its end user)."""
    levels: list[ScopeLimits] = list(identity.levels) if identity else []
    if identity is not None and model_group in identity.model_levels:
        levels.append(identity.model_levels[model_group])
    return levels


def refusal(result: AdmissionResult) -> RateLimitError:
    """The 429 the data plane answers for a refused admission."""
    scope = (result.scope or "").split(":")[0].replace("keymodel", "key's model")
    scope = {"enduser": "end user"}.get(scope, scope)
    headers = rate_limit_headers(result)
    if result.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(result.retry_after)))
    if result.reason == "budget":
        return RateLimitError(
            f"Budget exceeded for this {scope}: the request's maximum cost does not fit in "
            "what is left of the budget.",
            code="budget_exceeded",
            headers=headers,
        )
    what = {
        "rpm": "requests per minute",
        "tpm": "tokens per minute",
        "parallel": "parallel requests",
    }.get(result.reason or "", "requests")
    return RateLimitError(
        f"Rate limit reached for this {scope}: {what}.",
        code="rate_limit_exceeded",
        headers=headers,
    )
