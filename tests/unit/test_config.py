"""config.yaml: LiteLLM-compatible names, env references, exact error paths, warnings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.pool import QueuePool

from app.config import RoutingStrategy
from app.errors import ConfigError
from app.runtime import Runtime
from app.settings import load_config, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_litellm_file_loads_with_env_references(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      temperature: 0.2
      input_cost_per_token: 0.0000025
  - model_name: claude
    deltallm_params:
      model: anthropic/claude-3-5-haiku-latest
      api_key: os.environ/ANTHROPIC_KEY
router_settings:
  routing_strategy: latency-based-routing
  num_retries: 4
litellm_settings:
  drop_params: true
  request_timeout: 30
environment_variables:
  ANTHROPIC_KEY: sk-ant-from-file
""",
    )
    config, warnings = load_config(path, {"OPENAI_API_KEY": "sk-from-env"})
    first, second = config.model_list
    assert first.deltallm_params.provider == "openai"
    assert first.deltallm_params.api_key is not None
    assert first.deltallm_params.api_key.get_secret_value() == "sk-from-env"
    assert first.deltallm_params.defaults == {"temperature": 0.2}
    assert first.deltallm_params.input_cost_per_token == Decimal("0.0000025")
    assert second.deltallm_params.provider == "anthropic"
    assert second.deltallm_params.api_key is not None
    assert second.deltallm_params.api_key.get_secret_value() == "sk-ant-from-file"
    assert config.router_settings.routing_strategy is RoutingStrategy.LATENCY_BASED
    assert config.router_settings.num_retries == 4
    assert config.router_settings.timeout == 30
    assert config.deltallm_settings.drop_params is True
    assert warnings == []


def test_every_problem_is_listed_with_its_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
model_list:
  - model_name: a
    deltallm_params: {model: openai/gpt-4o}
  - model_name: b
    deltallm_params: {model: openai/gpt-4o, rpm: -1}
  - model_name: c
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/MISSING_KEY}
  - model_name: d
    deltallm_params: {model: foo/bar}
router_settings:
  routing_strategy: fastest
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    problems = caught.value.problems
    assert (
        "model_list[2].litellm_params.api_key: environment variable MISSING_KEY is not set"
        in problems
    )
    assert 'model_list[3].deltallm_params.model: unknown provider "foo"' in problems
    assert any(p.startswith("model_list[1].deltallm_params.rpm:") for p in problems)
    assert any(p.startswith("router_settings.routing_strategy:") for p in problems)


def test_unknown_keys_give_one_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
model_list:
  - model_name: a
    deltallm_params: {model: demo/echo}
    colour: blue
general_settings:
  master_key: sk-1
  alerting: [slack]
mystery: 1
""",
    )
    _, warnings = load_config(path, {})
    assert len(warnings) == 1
    for key in ("mystery", "model_list[0].colour", "general_settings.alerting"):
        assert key in warnings[0]


def test_model_without_provider_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "model_list:\n  - model_name: x\n    deltallm_params: {model: llama3}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert caught.value.problems[0].startswith("model_list[0].deltallm_params.model: cannot tell")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model_list: [", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), {})
    assert message in caught.value.problems[0]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml", {})
    assert "cannot read" in caught.value.problems[0]


def test_settings_precedence_and_embedded_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "model_list: []\ngeneral_settings:\n  master_key: sk-file\n  database_url: sqlite+aiosqlite:///x.db\n",
    )
    env = {"DELTALLM_DATA_DIR": str(tmp_path / "data"), "DELTALLM_MASTER_KEY": "sk-env"}
    settings = load_settings(path, env=env, port=5000)
    assert settings.master_key.get_secret_value() == "sk-env"
    assert settings.database_url.get_secret_value() == "sqlite+aiosqlite:///x.db"
    assert settings.port == 5000
    assert settings.redis_url is None

    default = load_settings(env={"DELTALLM_DATA_DIR": str(tmp_path / "d2")})
    assert [m.model_name for m in default.config.model_list] == ["demo", "demo-embedding"]
    assert default.is_sqlite
    key_file = tmp_path / "d2" / "master_key"
    assert default.master_key.get_secret_value() == key_file.read_text().strip()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = load_settings(env={"DELTALLM_DATA_DIR": str(tmp_path / "d2")})
    assert again.master_key.get_secret_value() == default.master_key.get_secret_value()


def test_redis_from_router_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "router_settings:\n  redis_host: cache.internal\n"
        "  redis_port: 6380\n  redis_password: pw\n",
    )
    settings = load_settings(path, env={"DELTALLM_DATA_DIR": str(tmp_path / "data")})
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == "redis://:pw@cache.internal:6380/0"
    assert "pw" not in repr(settings)


def test_guardrails_are_validated_and_their_state_is_said(tmp_path: Path) -> None:
    bad = """
guardrails:
  - guardrail_name: pii
    litellm_params: {guardrail: presidio, pii_entities_config: {EMAIL_ADDRESS: HIDE}}
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, bad), {})
    assert caught.value.problems == [
        "guardrails.0.pii_entities.EMAIL_ADDRESS: Input should be 'MASK' or 'BLOCK'"
    ]
    good = """
guardrails:
  - guardrail_name: injection
    litellm_params: {guardrail: lakera_v2, mode: during_call, api_key: lk-1}
litellm_settings: {cache: true}
"""
    _, warnings = load_config(write(tmp_path, good), {})
    assert not [w for w in warnings if "guardrail" in w or "cache" in w]


def test_database_pool_settings_reach_the_postgresql_engine(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "general_settings:\n  database_url: postgresql://app@db.internal/deltallm\n"
        "  database_connection_pool_limit: 3\n  database_connection_timeout: 5\n",
    )
    settings = load_settings(path, env={"DELTALLM_DATA_DIR": str(tmp_path / "data")})
    runtime = Runtime.build(settings)  # builds the engine; nothing connects yet
    pool = runtime.engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool.timeout(), pool._max_overflow) == (3, 5.0, 0)

    with pytest.raises(ConfigError, match="database_connection_pool_limit"):
        load_config(write(tmp_path, "general_settings:\n  database_connection_pool_limit: 0\n"))


@pytest.mark.parametrize(
    ("workers", "configured", "writer", "expected"),
    [
        (1, None, False, 10),
        (2, None, False, 5),
        (8, None, False, 2),
        (4, 7, False, 7),
        # serve with Redis: the spend writer process takes 2 of the instance's 10
        (1, None, True, 8),
        (2, None, True, 4),
        (8, None, True, 2),
        (4, 7, True, 7),
    ],
)
def test_the_default_pool_splits_the_instance_share_across_workers(
    tmp_path: Path, workers: int, configured: int | None, writer: bool, expected: int
) -> None:
    limit = f"  database_connection_pool_limit: {configured}\n" if configured else ""
    path = write(
        tmp_path, f"general_settings:\n  database_url: postgresql://app@db/deltallm\n{limit}"
    )
    env = {"DELTALLM_DATA_DIR": str(tmp_path / "data"), "DELTALLM_WORKERS": str(workers)}
    if writer:
        env["DELTALLM_SPEND_WRITER"] = "process"
    settings = load_settings(path, env=env)
    assert settings.workers == workers
    assert settings.pool_limit == expected
    pool = Runtime.build(settings).engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow) == (expected, 0)


def test_sign_in_and_oidc_safety_settings(tmp_path: Path) -> None:
    defaults = load_config(write(tmp_path, "model_list: []\n"), {})[0].general_settings
    assert (defaults.signin.max_attempts_per_minute, defaults.signin.trusted_proxies) == (20, [])
    assert defaults.oidc.allow_unverified_email is False
    bad = write(
        tmp_path,
        """
model_list: []
general_settings:
  signin: {max_attempts_per_minute: -1, trusted_proxies: [10.0.0.0/8, "proxy.local"]}
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(bad, {})
    problems = caught.value.problems
    assert any(p.startswith("general_settings.signin.max_attempts_per_minute:") for p in problems)
    assert any("'proxy.local'" in p for p in problems), problems


def test_a_deployment_naming_an_undefined_guardrail_is_warned_about(tmp_path: Path) -> None:
    text = """
model_list:
  - model_name: gpt-a
    litellm_params: {model: openai/gpt-a, guardrails: [words, ghost]}
guardrails:
  - guardrail_name: words
    litellm_params: {guardrail: keywords, keywords: [x]}
"""
    _, warnings = load_config(write(tmp_path, text), {})
    assert [w for w in warnings if "guardrail" in w] == [
        "model gpt-a names guardrail ghost, which config.yaml does not define: its calls are "
        "refused until a policy of that name exists"
    ]
