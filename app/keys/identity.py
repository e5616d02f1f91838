"""What the hot path knows about a virtual key: an immutable snapshot, cached in-process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from app.limits.periods import parse_duration

__all__ = ["Budget", "KeyIdentity", "ScopeLimits"]


@dataclass(frozen=True, slots=True)
class Budget:
    """A budget and the spend the database knew when the snapshot was taken."""

    max_budget: Decimal | None
    soft_budget: Decimal | None
    duration: str | None
    spend: Decimal = Decimal(0)
    reset_at: datetime | None = None

    def period(self, now: datetime) -> str | None:
        """The counter period id for ``now`` (None: a budget that never resets)."""
        if not self.duration:
            return None
        return parse_duration(self.duration).window(now)[0]

    def seed(self, now: datetime) -> Decimal:
        """The spend to restore for the current period if the counters lost it."""
        if not self.duration:
            return self.spend
        if self.reset_at is not None and self.reset_at > now:
            return self.spend
        return Decimal(0)


@dataclass(frozen=True, slots=True)
class ScopeLimits:
    """Limits of one level (key, user, team, org, end user, per model on a key)."""

    scope: str
    rpm: int | None = None
    tpm: int | None = None
    max_parallel: int | None = None
    budget: Budget | None = None

    @property
    def limits_anything(self) -> bool:
        return any(v is not None for v in (self.rpm, self.tpm, self.max_parallel)) or (
            self.budget is not None and self.budget.max_budget is not None
        )


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    key_id: str
    key_hash: str
    alias: str | None
    user_id: str | None
    team_id: str | None
    org_id: str | None
    levels: tuple[ScopeLimits, ...]
    allowed_models: tuple[frozenset[str], ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    model_levels: Mapping[str, ScopeLimits] = field(default_factory=dict)
    expires_at: datetime | None = None
    blocked_reason: str | None = None
    revoked: bool = False
    tags: tuple[str, ...] = ()
    is_admin: bool = False
    grace_expires_at: datetime | None = None
    guardrails: tuple[str, ...] = ()
    """The key's guardrails, then its team's (each name once)."""
    allow_request_guardrails: bool = False
    allowed_cache_controls: frozenset[str] = frozenset()

    def allows(self, model_group: str) -> bool:
        """Allowed by the key and by every owner's list (an empty list allows everything)."""
        return all(not allowed or _matches(model_group, allowed) for allowed in self.allowed_models)


def _matches(model: str, allowed: frozenset[str]) -> bool:
    if model in allowed or "*" in allowed:
        return True
    return any(p.endswith("*") and model.startswith(p[:-1]) for p in allowed)
