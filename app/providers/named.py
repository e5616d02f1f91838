"""OpenAI-compatible providers known by name (``groq/``, ``mistral/``, ``ollama/``, ...).

Each is the OpenAI-compatible adapter with its catalog entry's default ``api_base``.
Ollama is reached through its OpenAI-compatible ``/v1`` endpoint, so an ``api_base``
written LiteLLM's way (``http://localhost:11434``) gets ``/v1`` added.
"""

from __future__ import annotations

from typing import ClassVar

from app.errors import BadRequestError
from app.providers.base import Operation
from app.providers.catalog import CATALOG
from app.providers.openai_compatible import PATHS, OpenAICompatibleProvider

__all__ = ["NamedOpenAIProvider", "named_provider_classes"]

_OLLAMA = frozenset({"ollama", "ollama_chat"})


class NamedOpenAIProvider(OpenAICompatibleProvider):
    name: ClassVar[str] = "named"

    def url(self, op: Operation) -> str:
        base = self.params.api_base or CATALOG[self.name].api_base
        if not base:
            raise BadRequestError(f"{self.name} deployment has no api_base", code="misconfigured")
        base = base.rstrip("/")
        if self.name in _OLLAMA and not base.endswith("/v1"):
            base += "/v1"
        return base + PATHS[op]


def named_provider_classes() -> dict[str, type[OpenAICompatibleProvider]]:
    """One adapter class per OpenAI-compatible catalog entry, named after it."""
    return {
        entry.name: type(f"{entry.name}Provider", (NamedOpenAIProvider,), {"name": entry.name})
        for entry in CATALOG.values()
        if entry.openai_compatible
    }
