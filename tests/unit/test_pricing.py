"""Pricing: lookup order, tolerant model names, cached-token prices, exact Decimals."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib.resources import files

import pytest

from app.config import DeploymentParams, ModelInfo
from app.providers.base import Usage
from app.spend.pricing import ModelPrice, builtin_price, cost_of, max_cost, price_for

CACHED = Decimal("0.00000125")
GPT_4O = ModelPrice(Decimal("0.0000025"), Decimal("0.00001"), CACHED)
HAIKU = ModelPrice(Decimal("0.0000008"), Decimal("0.000004"), Decimal("0.00000008"))


def params(model: str = "openai/my-finetune", **prices: str) -> DeploymentParams:
    return DeploymentParams.model_validate({"model": model, **prices})


def info(base_model: str | None = None, **prices: str) -> ModelInfo:
    return ModelInfo.model_validate({"base_model": base_model, **prices})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gpt-4o", GPT_4O),
        ("gpt-4o-2024-08-06", GPT_4O),
        ("openai/gpt-4o", GPT_4O),
        ("azure/openai/GPT-4o", GPT_4O),
        ("claude-3-5-haiku-20241022", HAIKU),
        ("claude-3-5-haiku-latest", HAIKU),
        ("anthropic/claude-3-5-haiku-latest", HAIKU),
        ("us.anthropic.claude-3-5-haiku-20241022-v1:0", HAIKU),
        ("claude-sonnet-4-20250514", builtin_price("claude-3-7-sonnet")),
        ("claude-opus-4-0", builtin_price("claude-3-opus")),
        ("gpt-3.5-turbo-0125", ModelPrice(Decimal("0.0000005"), Decimal("0.0000015"))),
        ("gpt-4o-mini-2024-07-18", builtin_price("gpt-4o-mini")),
        ("gpt-4.1-nano-2025-04-14", builtin_price("gpt-4.1-nano")),
    ],
)
def test_builtin_names_tolerate_prefixes_and_dates(name: str, expected: ModelPrice) -> None:
    assert builtin_price(name) == expected


def test_a_dated_snapshot_with_its_own_price_wins_over_the_family() -> None:
    assert builtin_price("gpt-4o-2024-05-13") == ModelPrice(
        Decimal("0.000005"), Decimal("0.000015")
    )


@pytest.mark.parametrize("name", ["my-finetune", "gpt-4o-mini-tts", "llama3", "claude-2", ""])
def test_unknown_models_have_no_price(name: str) -> None:
    assert builtin_price(name) is None


def test_table_covers_the_well_known_models_with_decimal_strings() -> None:
    raw = json.loads(files("app.spend").joinpath("prices.json").read_text(encoding="utf-8"))
    required = {
        *("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-3.5-turbo"),
        *("o1", "o3", "o3-mini", "o4-mini"),
        *("text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"),
        *("claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-7-sonnet", "claude-sonnet-4"),
        *("claude-opus-4", "claude-3-haiku", "claude-3-opus"),
    }
    assert required <= set(raw["models"])
    assert raw["as_of"]
    for entry in raw["models"].values():
        assert all(isinstance(entry[k], str) for k in ("input", "output"))
        assert entry["cache_read"] is None or isinstance(entry["cache_read"], str)


def test_lookup_order() -> None:
    deployment = {"input_cost_per_token": "0.000001", "output_cost_per_token": "0.000002"}
    model_info = {"input_cost_per_token": "0.000003", "output_cost_per_token": "0.000004"}
    assert price_for(params(**deployment), info("gpt-4o", **model_info), "gpt-4o") == ModelPrice(
        Decimal("0.000001"), Decimal("0.000002")
    )
    assert price_for(params(), info("gpt-4o", **model_info), "gpt-4o") == ModelPrice(
        Decimal("0.000003"), Decimal("0.000004")
    )
    assert price_for(params(), info("claude-3-5-haiku"), "gpt-4o") == HAIKU
    assert price_for(params(), info("unknown-base"), "gpt-4o-2024-11-20") == GPT_4O
    assert price_for(params(), info(), "my-finetune") is None


def test_configured_prices_may_be_partial() -> None:
    price = price_for(
        params(output_cost_per_token="0.00002", cache_read_input_token_cost="0.0000001"),
        info(),
        "x",
    )
    assert price == ModelPrice(Decimal(0), Decimal("0.00002"), Decimal("0.0000001"))


def test_cost_is_exact() -> None:
    cost = cost_of(Usage(prompt_tokens=1_000_003, completion_tokens=7), GPT_4O)
    assert cost == Decimal("2.5000075") + Decimal("0.00007")
    assert isinstance(cost, Decimal)
    total = sum((cost_of(Usage(1, 1), GPT_4O) for _ in range(10)), Decimal(0))
    assert total == Decimal("0.000125")


def test_cached_prompt_tokens_use_the_cache_read_price() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=100, cached_tokens=400)
    assert cost_of(usage, GPT_4O) == 600 * GPT_4O.input + 400 * CACHED + 100 * GPT_4O.output
    assert cost_of(usage, GPT_4O) == Decimal("0.0030")
    no_cache_price = ModelPrice(Decimal("0.000001"), Decimal("0.000002"))
    assert cost_of(usage, no_cache_price) == Decimal("0.0012")
    # More cached than prompt tokens (a confused upstream) never makes a cost negative.
    assert cost_of(Usage(prompt_tokens=10, cached_tokens=50), GPT_4O) == 10 * CACHED


def test_unknown_price_costs_nothing() -> None:
    assert cost_of(Usage(100, 100, 10), None) == Decimal(0)
    assert max_cost(100, 100, None) == Decimal(0)


def test_max_cost_reserves_the_full_prompt_and_output() -> None:
    assert max_cost(2000, 4096, GPT_4O) == Decimal("0.005") + Decimal("0.04096")
    assert max_cost(0, 0, GPT_4O) == 0


def price(input_: str, output: str, cache_read: str | None = None) -> ModelPrice:
    return ModelPrice(
        Decimal(input_), Decimal(output), None if cache_read is None else Decimal(cache_read)
    )


NOVA_LITE = price("0.00000006", "0.00000024", "0.000000015")
LLAMA_31_70B = price("0.00000072", "0.00000072")
BEDROCK_MISTRAL_LARGE = price("0.000002", "0.000006")
MISTRAL_LARGE = price("0.0000005", "0.0000015", "0.00000005")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("bedrock/amazon.nova-lite-v1:0", NOVA_LITE),
        ("bedrock/us.amazon.nova-lite-v1:0", NOVA_LITE),
        ("bedrock/converse/global.amazon.nova-lite-v1:0", NOVA_LITE),
        ("bedrock/meta.llama3-1-70b-instruct-v1:0", LLAMA_31_70B),
        ("bedrock/us.meta.llama3-1-70b-instruct-v1:0", LLAMA_31_70B),
        ("bedrock/mistral.mistral-large-2407-v1:0", BEDROCK_MISTRAL_LARGE),
        ("bedrock/mistral.mistral-7b-instruct-v0:2", price("0.00000015", "0.0000002")),
        ("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", HAIKU),
        ("gemini/gemini-2.5-flash", price("0.0000003", "0.0000025", "0.00000003")),
        ("gemini/gemini-2.5-flash-lite", price("0.0000001", "0.0000004", "0.00000001")),
        ("mistral/mistral-large-latest", MISTRAL_LARGE),
        ("deepseek/deepseek-chat", price("0.00000028", "0.00000042", "0.000000028")),
        ("xai/grok-4.3", price("0.00000125", "0.0000025", "0.0000002")),
        ("groq/openai/gpt-oss-120b", price("0.00000015", "0.0000006", "0.000000075")),
    ],
)
def test_new_providers_models_have_list_prices(model: str, expected: ModelPrice) -> None:
    assert builtin_price(model) == expected


def test_a_provider_qualified_price_applies_only_to_that_provider() -> None:
    # The same model name is sold at different prices by different providers.
    assert builtin_price("mistral-large-latest") is None
    assert builtin_price("openai/gpt-oss-120b") is None
    assert builtin_price("meta.llama3-1-70b-instruct-v1:0") is None
    assert builtin_price("together_ai/meta.llama3-1-70b-instruct-v1:0") is None
    assert builtin_price("mistral.mistral-large-2407-v1:0", "mistral") is None
    assert builtin_price("mistral.mistral-large-2407-v1:0", "bedrock") == BEDROCK_MISTRAL_LARGE


def test_regional_bedrock_profiles_with_their_own_prices_are_not_priced_as_the_base() -> None:
    assert builtin_price("bedrock/eu.amazon.nova-lite-v1:0") is None
    assert builtin_price("bedrock/apac.meta.llama3-1-70b-instruct-v1:0") is None


def test_price_for_uses_the_deployment_provider() -> None:
    bedrock = params("bedrock/converse/us.meta.llama3-1-70b-instruct-v1:0")
    assert price_for(bedrock, info(), bedrock.upstream_model) == LLAMA_31_70B
    groq = params("groq/openai/gpt-oss-20b")
    expected = price("0.000000075", "0.0000003", "0.0000000375")
    assert price_for(groq, info(), groq.upstream_model) == expected
    self_hosted = params("hosted_vllm/openai/gpt-oss-20b")
    assert price_for(self_hosted, info(), self_hosted.upstream_model) is None
    # A base_model names its own provider; without one, the deployment's counts.
    routed = params("openai/my-llama")
    assert price_for(routed, info("bedrock/meta.llama3-1-70b-instruct-v1:0"), "x") == LLAMA_31_70B
    assert price_for(bedrock, info("us.amazon.nova-lite-v1:0"), "x") == NOVA_LITE
