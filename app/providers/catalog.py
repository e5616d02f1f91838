"""Named providers: a ``provider/model`` prefix, its default ``api_base`` and key variables.

The names, bases and variables are the ones LiteLLM users already write. All but
``gemini`` speak OpenAI's API and are served by the OpenAI-compatible adapter; ``ollama``
and ``ollama_chat`` both go to Ollama's OpenAI-compatible ``/v1`` endpoint. Defaults from
the environment are applied when ``config.yaml`` is loaded (:func:`apply_env_defaults`,
given the environment by ``app.settings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CATALOG", "NamedProvider", "apply_env_defaults", "default_api_base"]


@dataclass(frozen=True, slots=True)
class NamedProvider:
    name: str
    api_base: str | None
    """The default ``api_base`` (None: the deployment must give one)."""
    key_vars: tuple[str, ...] = ()
    """Environment variables read, in order, when a deployment has no ``api_key``."""
    base_vars: tuple[str, ...] = ()
    """Environment variables read, in order, when a deployment has no ``api_base``."""
    key_required: bool = True
    openai_compatible: bool = True


_ENTRIES = (
    NamedProvider("groq", "https://api.groq.com/openai/v1", ("GROQ_API_KEY",), ("GROQ_API_BASE",)),
    NamedProvider(
        "mistral", "https://api.mistral.ai/v1", ("MISTRAL_API_KEY",), ("MISTRAL_API_BASE",)
    ),
    NamedProvider(
        "together_ai",
        "https://api.together.xyz/v1",
        ("TOGETHERAI_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHER_API_KEY"),
        ("TOGETHERAI_API_BASE",),
    ),
    NamedProvider(
        "openrouter",
        "https://openrouter.ai/api/v1",
        ("OPENROUTER_API_KEY", "OR_API_KEY"),
        ("OPENROUTER_API_BASE",),
    ),
    NamedProvider(
        "deepseek", "https://api.deepseek.com/v1", ("DEEPSEEK_API_KEY",), ("DEEPSEEK_API_BASE",)
    ),
    NamedProvider("xai", "https://api.x.ai/v1", ("XAI_API_KEY",), ("XAI_API_BASE",)),
    NamedProvider(
        "fireworks_ai",
        "https://api.fireworks.ai/inference/v1",
        ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY", "FIREWORKSAI_API_KEY"),
        ("FIREWORKS_AI_API_BASE", "FIREWORKS_API_BASE"),
    ),
    NamedProvider(
        "perplexity",
        "https://api.perplexity.ai",
        ("PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"),
        ("PERPLEXITY_API_BASE",),
    ),
    NamedProvider(
        "cerebras", "https://api.cerebras.ai/v1", ("CEREBRAS_API_KEY",), ("CEREBRAS_API_BASE",)
    ),
    NamedProvider("ollama", "http://localhost:11434", (), ("OLLAMA_API_BASE",), key_required=False),
    NamedProvider(
        "ollama_chat", "http://localhost:11434", (), ("OLLAMA_API_BASE",), key_required=False
    ),
    NamedProvider(
        "hosted_vllm",
        None,
        ("HOSTED_VLLM_API_KEY",),
        ("HOSTED_VLLM_API_BASE",),
        key_required=False,
    ),
    NamedProvider(
        "lm_studio",
        "http://localhost:1234/v1",
        ("LM_STUDIO_API_KEY",),
        ("LM_STUDIO_API_BASE",),
        key_required=False,
    ),
    NamedProvider(
        "gemini",
        "https://generativelanguage.googleapis.com",
        ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        ("GEMINI_API_BASE",),
        openai_compatible=False,
    ),
)

CATALOG: Mapping[str, NamedProvider] = {entry.name: entry for entry in _ENTRIES}

_PARAMS_KEYS = ("deltallm_params", "litellm_params")


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((env[name] for name in names if env.get(name)), None)


def apply_env_defaults(raw: Any, env: Mapping[str, str], problems: list[str]) -> None:
    """Fill ``api_key`` / ``api_base`` of named-provider deployments from ``env``, in place.

    A key or base that is required and found nowhere is a problem naming the variable.
    """
    entries = raw.get("model_list") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        key = next((k for k in _PARAMS_KEYS if isinstance(entry.get(k), dict)), None)
        if key is None:
            continue
        params: dict[str, Any] = entry[key]
        model = params.get("model")
        if not isinstance(model, str) or "/" not in model:
            continue
        named = CATALOG.get(model.partition("/")[0].lower())
        if named is None:
            continue
        where = f"model_list[{index}].{key}"
        # A present but empty key is an ``os.environ/NAME`` already reported as unset.
        if "api_key" not in params:
            value = _first(env, named.key_vars)
            if value is not None:
                params["api_key"] = value
            elif named.key_required:
                names = " or ".join(named.key_vars)
                problems.append(f"{where}.api_key: not set, and {names} is not set either")
        if not params.get("api_base"):
            value = _first(env, named.base_vars)
            if value is not None:
                params["api_base"] = value
            elif named.api_base is None:
                names = " or ".join(named.base_vars)
                problems.append(
                    f"{where}.api_base: {named.name} has no default api_base; set it or {names}"
                )


def default_api_base(model: Any) -> str | None:
    """The catalog's default ``api_base`` for a ``provider/model`` name, if it has one."""
    if not isinstance(model, str) or "/" not in model:
        return None
    named = CATALOG.get(model.partition("/")[0].lower())
    return named.api_base if named is not None else None
