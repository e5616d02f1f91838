"""What the router hands back: an answer with the deployment that gave it, or a stream that
gives its deployment's slot back when it ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.providers.base import ProviderResult, ProviderStream
from app.router.deployment import Deployment
from app.router.gate import DeploymentGate, GatePass

__all__ = ["RoutedResult", "RoutedStream"]


@dataclass(slots=True)
class RoutedResult:
    result: ProviderResult
    deployment: Deployment
    model_group: str


class RoutedStream(ProviderStream):
    """A provider stream that releases its deployment's slot when it ends."""

    def __init__(
        self, inner: ProviderStream, gate: DeploymentGate, gate_pass: GatePass, model_group: str
    ) -> None:
        super().__init__()
        self.inner = inner
        self.deployment = gate_pass.deployment
        self.model_group = model_group
        self._gate = gate
        self._pass = gate_pass
        self._closed = False

    async def _relay(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                if self.first_chunk_at is None:
                    self.first_chunk_at = self.inner.first_chunk_at
                self.usage = self.inner.usage  # known before the stream ends, for settling
                yield chunk
        finally:
            self.usage = self.inner.usage
            await self.aclose()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._relay()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.usage = self.usage or self.inner.usage
        try:
            await self.inner.aclose()
        finally:
            used = self.usage.total_tokens if self.usage is not None else None
            await self._gate.leave(self._pass, used)
