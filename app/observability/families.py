"""Metric families whose label children are bound once and kept (``labels()`` takes a
lock and builds a key each call; the request path should not pay that per call)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Bound", "counter", "gauge", "histogram"]

C = TypeVar("C")


class Bound(Generic[C]):
    """A metric's label children, bound once per label tuple (``labels()`` takes a lock)."""

    def __init__(self, metric: Counter | Gauge | Histogram) -> None:
        self.metric = metric
        self.children: dict[tuple[str, ...], C] = {}
        if not metric._labelnames:
            self.children[()] = metric  # type: ignore[assignment]

    def __call__(self, *values: str) -> C:
        if values not in self.children:
            self.children[values] = self.metric.labels(*values)  # type: ignore[assignment]
        return self.children[values]


def counter(registry: CollectorRegistry, name: str, doc: str, *labels: str) -> Bound[Counter]:
    return Bound(Counter(name, doc, labels, registry=registry))


def histogram(
    registry: CollectorRegistry, name: str, doc: str, buckets: Sequence[float], *labels: str
) -> Bound[Histogram]:
    return Bound(Histogram(name, doc, labels, registry=registry, buckets=buckets))


def gauge(
    registry: CollectorRegistry, name: str, doc: str, mode: str, *labels: str
) -> Bound[Gauge]:
    return Bound(Gauge(name, doc, labels, registry=registry, multiprocess_mode=mode))  # type: ignore[arg-type]
