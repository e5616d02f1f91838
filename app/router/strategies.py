"""Routing strategies: each picks one deployment from the available ones of a group."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from decimal import Decimal

from app.config import RoutingStrategy
from app.router.deployment import Deployment

__all__ = ["Strategy", "make_strategy"]

Strategy = Callable[[str, Sequence[Deployment]], Deployment]


def make_strategy(kind: RoutingStrategy, rng: random.Random) -> Strategy:
    """The picking function for a routing strategy (``rng`` is injectable for tests)."""
    counters: dict[str, int] = {}

    def pick_random(candidates: Sequence[Deployment]) -> Deployment:
        return candidates[0] if len(candidates) == 1 else rng.choice(list(candidates))

    def simple_shuffle(group: str, candidates: Sequence[Deployment]) -> Deployment:
        weights = [d.params.weight for d in candidates]
        if len(candidates) == 1 or not any(weights):
            return pick_random(candidates)
        return rng.choices(list(candidates), weights=weights, k=1)[0]

    def round_robin(group: str, candidates: Sequence[Deployment]) -> Deployment:
        turn = counters.get(group, 0)
        counters[group] = turn + 1
        ordered = sorted(candidates, key=lambda d: d.id)
        return ordered[turn % len(ordered)]

    def least_busy(group: str, candidates: Sequence[Deployment]) -> Deployment:
        lowest = min(d.in_flight for d in candidates)
        return pick_random([d for d in candidates if d.in_flight == lowest])

    def latency_based(group: str, candidates: Sequence[Deployment]) -> Deployment:
        untried = [d for d in candidates if d.latency is None]
        if untried:
            return pick_random(untried)
        return min(candidates, key=lambda d: d.latency or 0.0)

    def cost_based(group: str, candidates: Sequence[Deployment]) -> Deployment:
        def cost(d: Deployment) -> tuple[int, Decimal]:
            inp, out = d.price()
            if inp is None and out is None:
                return (1, Decimal(0))
            return (0, (inp or Decimal(0)) + (out or Decimal(0)))

        cheapest = min(cost(d) for d in candidates)
        return pick_random([d for d in candidates if cost(d) == cheapest])

    def usage_based(group: str, candidates: Sequence[Deployment]) -> Deployment:
        def load(d: Deployment) -> float:
            tpm = d.params.tpm
            rpm = d.params.rpm
            parts = [d.window.tokens / tpm if tpm else 0.0, d.window.requests / rpm if rpm else 0.0]
            return max(parts) if (tpm or rpm) else d.window.tokens / 1e9

        lowest = min(load(d) for d in candidates)
        return pick_random([d for d in candidates if load(d) == lowest])

    strategies: dict[RoutingStrategy, Strategy] = {
        RoutingStrategy.SIMPLE_SHUFFLE: simple_shuffle,
        RoutingStrategy.ROUND_ROBIN: round_robin,
        RoutingStrategy.LEAST_BUSY: least_busy,
        RoutingStrategy.LATENCY_BASED: latency_based,
        RoutingStrategy.COST_BASED: cost_based,
        RoutingStrategy.USAGE_BASED: usage_based,
    }
    return strategies[kind]
