"""Traces of ``/v1`` calls, held by the gateway and the router as ``tracing``.

``None`` when tracing is not configured: the request path then costs one branch, and
OpenTelemetry is never imported. :func:`start_tracing` builds the OTLP exporter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from app.gateway.metering import AnswerStream, MeteredStream
    from app.gateway.pipeline import RequestContext
    from app.observability.tracing_settings import TracingConfig
    from app.providers.base import Operation
    from app.router.gate import GatePass
    from app.router.routed import RoutedResult

__all__ = ["Attempt", "Tracing", "start_tracing"]

T = TypeVar("T")
Attempt = Callable[[str, "GatePass"], Awaitable[T]]


class Tracing(Protocol):
    async def call(
        self, ctx: RequestContext, body: Mapping[str, Any], work: Awaitable[RoutedResult]
    ) -> RoutedResult:
        """Serve ``work`` inside a request span."""

    async def stream(
        self, ctx: RequestContext, body: Mapping[str, Any], work: Awaitable[MeteredStream]
    ) -> AnswerStream:
        """Open a stream inside a request span that ends when the stream does."""

    def attempts(self, op: Operation, attempt: Attempt[T]) -> Attempt[T]:
        """``attempt`` with a span around each call to an upstream."""

    def shutdown(self) -> None:
        """Export what is still buffered; blocks up to the exporter's timeout."""


def start_tracing(config: TracingConfig) -> Tracing:
    # Imported here so a gateway without tracing never loads OpenTelemetry.
    from app.observability.otel import OtelTracing

    return OtelTracing(config)
