"""How ``provider/model`` names are read, and which providers exist."""

from __future__ import annotations

from app.providers.catalog import CATALOG

__all__ = ["PROVIDERS", "split_provider_model"]

PROVIDERS = frozenset({"openai", "azure", "anthropic", "bedrock", "demo"}) | frozenset(CATALOG)

# Un-prefixed well-known model names imply their provider.
_IMPLIED: tuple[tuple[str, str], ...] = (
    ("gpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("chatgpt-", "openai"),
    ("text-embedding-", "openai"),
    ("dall-e-", "openai"),
    ("gpt-image-", "openai"),
    ("whisper-", "openai"),
    ("tts-", "openai"),
    ("omni-moderation", "openai"),
    ("text-moderation", "openai"),
    ("babbage-", "openai"),
    ("davinci-", "openai"),
    ("claude-", "anthropic"),
)


def split_provider_model(name: str) -> tuple[str | None, str]:
    """``"openai/gpt-4o"`` → ``("openai", "gpt-4o")``; ``"claude-3-5-haiku"`` → anthropic."""
    if "/" in name:
        provider, _, model = name.partition("/")
        return provider.lower(), model
    for prefix, provider in _IMPLIED:
        if name.startswith(prefix):
            return provider, name
    return None, name
