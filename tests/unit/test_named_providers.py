"""Named providers: the catalog, config loading with their key variables, and the URLs
their deployments are sent to."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import DeploymentParams
from app.errors import BadRequestError, ConfigError
from app.observability.genai import provider_name
from app.providers.base import Operation
from app.providers.catalog import CATALOG, default_api_base
from app.providers.gemini import GeminiProvider
from app.providers.named import NamedOpenAIProvider
from app.providers.naming import PROVIDERS, split_provider_model
from app.providers.registry import PROVIDER_CLASSES, build_provider
from app.settings import load_config

EXPECTED_BASES = {
    "groq": "https://api.groq.com/openai/v1/chat/completions",
    "mistral": "https://api.mistral.ai/v1/chat/completions",
    "together_ai": "https://api.together.xyz/v1/chat/completions",
    "openrouter": "https://openrouter.ai/api/v1/chat/completions",
    "deepseek": "https://api.deepseek.com/v1/chat/completions",
    "xai": "https://api.x.ai/v1/chat/completions",
    "fireworks_ai": "https://api.fireworks.ai/inference/v1/chat/completions",
    "perplexity": "https://api.perplexity.ai/chat/completions",
    "cerebras": "https://api.cerebras.ai/v1/chat/completions",
    "ollama": "http://localhost:11434/v1/chat/completions",
    "ollama_chat": "http://localhost:11434/v1/chat/completions",
    "lm_studio": "http://localhost:1234/v1/chat/completions",
}


def write(tmp_path: Path, model: str, extra: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"model_list:\n  - model_name: m\n    litellm_params:\n      model: {model}\n{extra}",
        encoding="utf-8",
    )
    return path


def test_every_provider_has_an_adapter() -> None:
    assert set(CATALOG) <= PROVIDERS
    assert set(PROVIDER_CLASSES) == PROVIDERS
    assert PROVIDER_CLASSES["gemini"] is GeminiProvider


def test_names_split_at_the_first_slash() -> None:
    assert split_provider_model("openrouter/anthropic/claude-3.5-sonnet") == (
        "openrouter",
        "anthropic/claude-3.5-sonnet",
    )
    assert split_provider_model("together_ai/meta-llama/Llama-3-8b") == (
        "together_ai",
        "meta-llama/Llama-3-8b",
    )


@pytest.mark.parametrize("name", sorted(EXPECTED_BASES))
def test_default_urls(name: str) -> None:
    params = DeploymentParams(model=f"{name}/some-model")
    provider = build_provider(params)
    assert isinstance(provider, NamedOpenAIProvider) and provider.name == name
    assert provider.url(Operation.CHAT) == EXPECTED_BASES[name]


def test_hosted_vllm_without_api_base_is_refused_at_call_time() -> None:
    provider = build_provider(DeploymentParams(model="hosted_vllm/llama"))
    assert isinstance(provider, NamedOpenAIProvider)
    with pytest.raises(BadRequestError):
        provider.url(Operation.CHAT)
    assert default_api_base("hosted_vllm/llama") is None
    assert default_api_base("ollama/llama3") == "http://localhost:11434"
    assert default_api_base("openai/gpt-4o") is None


@pytest.mark.parametrize(
    ("name", "variable"),
    [(entry.name, entry.key_vars[-1]) for entry in CATALOG.values() if entry.key_vars],
)
def test_each_prefix_loads_with_its_key_variable(tmp_path: Path, name: str, variable: str) -> None:
    env = {variable: "secret-1"}
    if CATALOG[name].api_base is None:
        env.update({v: "http://vllm.internal:8000/v1" for v in CATALOG[name].base_vars})
    config, _ = load_config(write(tmp_path, f"{name}/some-model"), env)
    params = config.model_list[0].deltallm_params
    assert params.provider == name
    assert params.upstream_model == "some-model"
    assert params.api_key is not None and params.api_key.get_secret_value() == "secret-1"


def test_explicit_key_and_base_win_over_the_environment(tmp_path: Path) -> None:
    extra = "      api_key: mine\n      api_base: https://proxy.example/v1\n"
    env = {"GROQ_API_KEY": "env-key", "GROQ_API_BASE": "https://elsewhere/v1"}
    config, _ = load_config(write(tmp_path, "groq/llama", extra), env)
    params = config.model_list[0].deltallm_params
    assert params.api_key is not None and params.api_key.get_secret_value() == "mine"
    assert params.api_base == "https://proxy.example/v1"


def test_first_listed_variable_wins(tmp_path: Path) -> None:
    env = {"TOGETHERAI_API_KEY": "first", "TOGETHER_AI_API_KEY": "second"}
    config, _ = load_config(write(tmp_path, "together_ai/m"), env)
    key = config.model_list[0].deltallm_params.api_key
    assert key is not None and key.get_secret_value() == "first"


@pytest.mark.parametrize("name", ["ollama", "ollama_chat", "lm_studio"])
def test_local_servers_need_no_key(tmp_path: Path, name: str) -> None:
    config, _ = load_config(write(tmp_path, f"{name}/llama3"), {})
    assert config.model_list[0].deltallm_params.api_key is None


def test_ollama_base_from_its_variable(tmp_path: Path) -> None:
    config, _ = load_config(
        write(tmp_path, "ollama/llama3"), {"OLLAMA_API_BASE": "http://gpu:11434"}
    )
    provider = build_provider(config.model_list[0].deltallm_params)
    assert isinstance(provider, NamedOpenAIProvider)
    assert provider.url(Operation.EMBEDDING) == "http://gpu:11434/v1/embeddings"


def test_missing_key_and_base_are_problems_naming_the_variables(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "perplexity/sonar"), {})
    assert caught.value.problems == [
        "model_list[0].litellm_params.api_key: not set, and PERPLEXITYAI_API_KEY or "
        "PERPLEXITY_API_KEY is not set either"
    ]
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "hosted_vllm/llama"), {})
    assert caught.value.problems == [
        "model_list[0].litellm_params.api_base: hosted_vllm has no default api_base; "
        "set it or HOSTED_VLLM_API_BASE"
    ]


def test_gemini_accepts_google_api_key(tmp_path: Path) -> None:
    config, _ = load_config(write(tmp_path, "gemini/gemini-2.0-flash"), {"GOOGLE_API_KEY": "g"})
    params = config.model_list[0].deltallm_params
    assert params.api_key is not None and params.api_key.get_secret_value() == "g"
    provider = build_provider(params)
    assert isinstance(provider, GeminiProvider)
    assert provider.url("gemini-2.0-flash", "generateContent") == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent"
    )


def test_an_unset_reference_is_reported_once(tmp_path: Path) -> None:
    extra = "      api_key: os.environ/MY_GROQ_KEY\n"
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "groq/llama", extra), {"GROQ_API_KEY": "unused"})
    assert caught.value.problems == [
        "model_list[0].litellm_params.api_key: environment variable MY_GROQ_KEY is not set"
    ]


def test_trace_provider_names_follow_the_genai_conventions() -> None:
    assert [provider_name(p) for p in ("gemini", "mistral", "xai", "groq")] == [
        "gcp.gemini",
        "mistral_ai",
        "x_ai",
        "groq",
    ]
