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
