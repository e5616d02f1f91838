"""The provider seam: what every adapter implements, and the values it trades in.

An adapter turns an OpenAI-shaped :class:`ProviderCall` into its provider's API and
returns OpenAI-shaped bytes: a whole body (:class:`ProviderResult`) or an SSE stream
(:class:`ProviderStream`). It never sees Litestar, keys or budgets.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from app.errors import BadRequestError

if TYPE_CHECKING:
    from app.config import DeploymentParams
    from app.providers.transport import Transport
    from app.security.url_fetch import UrlFetcher

__all__ = [
    "FilePart",
    "Operation",
    "Provider",
    "ProviderCall",
    "ProviderResult",
    "ProviderStream",
    "Usage",
]


class Operation(StrEnum):
    CHAT = "chat"
    COMPLETION = "completion"
    EMBEDDING = "embedding"
    IMAGE_GENERATION = "image_generation"
    TRANSCRIPTION = "audio_transcription"
    SPEECH = "audio_speech"
    MODERATION = "moderation"
    MESSAGES = "messages"
    """Anthropic's Messages API: native where a provider lists it, translated otherwise."""
    RESPONSES = "responses"
    """OpenAI's Responses API: native where a provider lists it, translated otherwise."""


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def from_openai(cls, usage: dict[str, Any] | None) -> Usage | None:
        if not usage:
            return None
        details = usage.get("prompt_tokens_details") or {}
        return cls(
            prompt_tokens=int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0),
            completion_tokens=int(
                usage.get("completion_tokens") or usage.get("output_tokens") or 0
            ),
            cached_tokens=int(details.get("cached_tokens") or 0),
        )


@dataclass(slots=True)
class FilePart:
    """An uploaded file of a multipart call (audio transcription)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class ProviderCall:
    """One OpenAI-shaped call, addressed to one deployment (``body["model"]`` is upstream)."""

    op: Operation
    body: dict[str, Any]
    stream: bool = False
    include_usage: bool = False
    files: list[FilePart] = field(default_factory=list)


@dataclass(slots=True)
class ProviderResult:
    """A whole OpenAI-shaped answer."""

    content: bytes
    media_type: str = "application/json"
    usage: Usage | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ProviderStream(ABC):
    """An open upstream stream, relayed as OpenAI SSE bytes.

    ``usage`` is filled as the stream passes; ``aclose`` releases the upstream
    connection and is safe to call more than once.
    """

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.first_chunk_at: float | None = None

    def _mark_first_chunk(self) -> None:
        if self.first_chunk_at is None:
            self.first_chunk_at = time.perf_counter()

    @abstractmethod
    def __aiter__(self) -> AsyncIterator[bytes]: ...

    @abstractmethod
    async def aclose(self) -> None: ...


class Provider(ABC):
    """One deployment's adapter. Created once per deployment with its pooled transport."""

    name: ClassVar[str]
    operations: ClassVar[frozenset[Operation]]

    def __init__(
        self,
        params: DeploymentParams,
        transport: Transport | None,
        fetcher: UrlFetcher | None = None,
    ) -> None:
        self.params = params
        self.transport = transport
        self.fetcher = fetcher

    @property
    def default_timeout(self) -> float | None:
        return self.params.timeout

    def check_supported(self, op: Operation) -> None:
        if op not in self.operations:
            raise BadRequestError(
                f"{self.name} deployments do not support {op.value}",
                code="unsupported_operation",
            )

    def pricing(self) -> tuple[Decimal | None, Decimal | None]:
        return self.params.input_cost_per_token, self.params.output_cost_per_token

    @abstractmethod
    async def call(self, call: ProviderCall, timeout: float) -> ProviderResult:
        """Send a non-streaming call and return OpenAI-shaped bytes."""

    @abstractmethod
    async def stream(self, call: ProviderCall, timeout: float) -> ProviderStream:
        """Open a streaming call. Errors before the first byte are raised here."""

    async def aclose(self) -> None:
        if self.transport is not None:
            await self.transport.aclose()
