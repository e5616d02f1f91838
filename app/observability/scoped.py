"""Series per key, team and organization: opt-in (``general_settings.metrics.labels``),
since each adds a series per key, team or organization."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge

from app.keys.identity import KeyIdentity
from app.limits.counters import AdmissionResult
from app.observability.families import Bound, counter, gauge

__all__ = ["ScopedFamilies"]

_MAX_ACTIVE = 1000
"""Keys whose budget headroom one refresh reads (one counter read per key)."""


class ScopedFamilies:
    """Series per key, team and organization, registered only for the scopes enabled."""

    def __init__(self, registry: CollectorRegistry, scopes: frozenset[str]) -> None:
        self._remaining: tuple[Bound[Gauge], Bound[Gauge]] | None = None
        self._budget: Bound[Gauge] | None = None
        self._active: dict[str, KeyIdentity] = {}
        specs = (
            ("key", ("key", "key_alias"), lambda i: (i.key_id, i.alias or "")),
            ("team", ("team",), lambda i: (i.team_id,) if i.team_id else None),
            ("organization", ("organization",), lambda i: (i.org_id,) if i.org_id else None),
        )
        self._bound: list[
            tuple[
                Callable[[KeyIdentity], tuple[str, ...] | None],
                Bound[Counter],
                Bound[Counter],
                Bound[Counter],
            ]
        ] = []
        for scope, labels, values in specs:
            if scope not in scopes:
                continue
            self._bound.append(
                (
                    values,
                    counter(
                        registry, f"deltallm_{scope}_requests", f"Requests by {scope}.", *labels
                    ),
                    counter(registry, f"deltallm_{scope}_tokens", f"Tokens by {scope}.", *labels),
                    counter(
                        registry,
                        f"deltallm_{scope}_spend_usd",
                        f"Spend in USD by {scope}.",
                        *labels,
                    ),
                )
            )
        if "key" in scopes:
            self._remaining = (
                gauge(
                    registry,
                    "deltallm_key_remaining_requests",
                    "Requests the key may still make this minute (its tightest RPM limit).",
                    "livemostrecent",
                    "key",
                    "key_alias",
                ),
                gauge(
                    registry,
                    "deltallm_key_remaining_tokens",
                    "Tokens the key may still use this minute (its tightest TPM limit).",
                    "livemostrecent",
                    "key",
                    "key_alias",
                ),
            )
            self._budget = gauge(
                registry,
                "deltallm_key_remaining_budget_usd",
                "USD the key may still spend: the tightest of its own, its user's, team's and "
                "organization's budgets, less what is spent and reserved.",
                "livemostrecent",
                "key",
                "key_alias",
            )

    def record(self, identity: KeyIdentity, tokens: int, cost: Decimal) -> None:
        for values, requests, token_family, spend in self._bound:
            labels = values(identity)
            if labels is None:
                continue
            requests(*labels).inc()
            if tokens:
                token_family(*labels).inc(tokens)
            if cost:
                spend(*labels).inc(float(cost))

    def headroom(self, identity: KeyIdentity, result: AdmissionResult) -> None:
        if self._remaining is None:
            return
        budgeted = any(level.budget and level.budget.max_budget for level in identity.levels)
        if budgeted and len(self._active) < _MAX_ACTIVE:
            self._active[identity.key_id] = identity
        labels = (identity.key_id, identity.alias or "")
        requests, tokens = self._remaining
        if result.remaining_requests is not None:
            requests(*labels).set(result.remaining_requests)
        if result.remaining_tokens is not None:
            tokens(*labels).set(result.remaining_tokens)

    def take_active(self) -> list[KeyIdentity]:
        """The keys admitted since the last call (at most ``_MAX_ACTIVE``), forgotten now."""
        active, self._active = list(self._active.values()), {}
        return active

    def budget_left(self, identity: KeyIdentity, remaining: Decimal) -> None:
        if self._budget is not None:
            self._budget(identity.key_id, identity.alias or "").set(float(remaining))
