"""Which adapter serves which provider name: the one place that maps names to classes."""

from __future__ import annotations

from collections.abc import Mapping

from app.config import DeploymentParams
from app.providers.anthropic import AnthropicProvider
from app.providers.azure import AzureOpenAIProvider
from app.providers.base import Provider
from app.providers.bedrock import BedrockProvider
from app.providers.demo import DemoProvider
from app.providers.gemini import GeminiProvider
from app.providers.named import named_provider_classes
from app.providers.openai_compatible import OpenAICompatibleProvider
from app.providers.transport import Transport
from app.security.url_fetch import UrlFetcher

__all__ = ["PROVIDER_CLASSES", "build_provider"]

PROVIDER_CLASSES: Mapping[str, type[Provider]] = {
    "openai": OpenAICompatibleProvider,
    "azure": AzureOpenAIProvider,
    "anthropic": AnthropicProvider,
    "bedrock": BedrockProvider,
    "demo": DemoProvider,
    "gemini": GeminiProvider,
    **named_provider_classes(),
}


def build_provider(params: DeploymentParams, fetcher: UrlFetcher | None = None) -> Provider:
    """The adapter for one deployment, with its own pooled transport where it needs one."""
    cls = PROVIDER_CLASSES[params.provider]
    transport = (
        None
        if cls is DemoProvider
        else Transport(max_connections=params.max_parallel_requests or 0)
    )
    return cls(params, transport, fetcher)
