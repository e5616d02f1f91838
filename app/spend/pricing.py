"""What a call costs: per-token prices from config or the built-in table, exact Decimals.

Lookup order: the deployment's own prices, then its ``model_info``, then the built-in
table (``prices.json``) by ``model_info.base_model``, then by the upstream model name.
Table lookups tolerate provider prefixes (``openai/``), dated or aliased suffixes
(``gpt-4o-2024-08-06``, ``claude-3-5-haiku-latest``) and Bedrock model ids (a ``us.`` or
``global.`` inference-profile prefix, a vendor prefix such as ``amazon.``, a ``-v1:0``
version). A table key may name its provider (``bedrock/meta.llama3-1-70b-instruct-v1:0``,
``groq/gpt-oss-120b``): a model sold at different prices by different providers is priced
by the deployment's provider, whose qualified keys are tried before the bare names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files

from app.config import DeploymentParams, ModelInfo
from app.providers.base import Usage

__all__ = ["ModelPrice", "builtin_price", "cost_of", "max_cost", "price_for"]

_ZERO = Decimal(0)
_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest|0|v\d+(?::\d+)?)$")
# Cross-region inference profiles priced like the base model. Other regional profiles
# (``eu.``, ``apac.``, ``jp.``) carry their own prices and only match their own keys.
_REGION = re.compile(r"^(?:us|global)\.(?=[a-z0-9]+\.)")
_VENDOR = re.compile(
    r"^(?:[a-z]{2}\.)?anthropic\.|^(?:amazon|meta|mistral|cohere|ai21|deepseek|qwen|writer)\."
)


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per token; ``cache_read`` is the price of a cached prompt token (None: unknown)."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None = None


@cache
def _table() -> Mapping[str, ModelPrice]:
    raw = json.loads(files("app.spend").joinpath("prices.json").read_text(encoding="utf-8"))
    return {
        name: ModelPrice(
            input=Decimal(entry["input"]),
            output=Decimal(entry["output"]),
            cache_read=None if entry.get("cache_read") is None else Decimal(entry["cache_read"]),
        )
        for name, entry in raw["models"].items()
    }


def _names(model: str) -> Iterator[str]:
    """The model name as given, without its region and vendor, then without suffixes."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    yield name
    name = _REGION.sub("", name)
    yield name
    name = _VENDOR.sub("", name)
    yield name
    while (shorter := _SUFFIX.sub("", name)) != name:
        name = shorter
        yield name


def _candidates(model: str, provider: str | None = None) -> Iterator[str]:
    """Table keys to try: qualified by the provider first, then the bare names."""
    prefix, _, rest = model.strip().lower().partition("/")
    provider = (provider or (prefix if rest else "")).lower()
    names = list(dict.fromkeys(_names(model)))
    if provider:
        yield from (f"{provider}/{name}" for name in names)
    yield from names


def builtin_price(model: str, provider: str | None = None) -> ModelPrice | None:
    """The built-in list price of a well-known model (None when the table lacks it).

    ``provider`` defaults to the prefix of ``model`` (``groq/...``).
    """
    table = _table()
    return next((table[name] for name in _candidates(model, provider) if name in table), None)


def _configured(source: DeploymentParams | ModelInfo) -> ModelPrice | None:
    if source.input_cost_per_token is None and source.output_cost_per_token is None:
        return None
    return ModelPrice(
        input=source.input_cost_per_token or _ZERO,
        output=source.output_cost_per_token or _ZERO,
        cache_read=source.cache_read_input_token_cost,
    )


def price_for(params: DeploymentParams, info: ModelInfo, upstream_model: str) -> ModelPrice | None:
    """The price of a deployment: its params, its model_info, then the built-in table."""
    for configured in (_configured(params), _configured(info)):
        if configured is not None:
            return configured
    if info.base_model:
        price = builtin_price(info.base_model, _provider_of(info.base_model) or params.provider)
        if price is not None:
            return price
    return builtin_price(upstream_model, params.provider)


def _provider_of(model: str) -> str | None:
    prefix, _, rest = model.partition("/")
    return prefix.lower() if rest else None


def cost_of(usage: Usage, price: ModelPrice | None) -> Decimal:
    """The exact cost of a call; cached prompt tokens at the cache-read price when known."""
    if price is None:
        return _ZERO
    cached = min(max(usage.cached_tokens, 0), usage.prompt_tokens)
    if price.cache_read is None:
        prompt = usage.prompt_tokens * price.input
    else:
        prompt = (usage.prompt_tokens - cached) * price.input + cached * price.cache_read
    return prompt + usage.completion_tokens * price.output


def max_cost(prompt_tokens: int, max_output_tokens: int, price: ModelPrice | None) -> Decimal:
    """The most a call can cost (no cache discount): what admission reserves."""
    if price is None:
        return _ZERO
    return prompt_tokens * price.input + max_output_tokens * price.output
