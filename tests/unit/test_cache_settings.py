"""LiteLLM's cache vocabulary in config.yaml becomes the gateway's cache settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import ConfigError
from app.gateway_settings.sections import CacheMode, CacheScope, CacheSettings, CacheType
from app.settings import load_config


def _load(tmp_path: Path, text: str) -> CacheSettings:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    config, warnings = load_config(path, {"S3_SECRET": "s3cr3t"})
    assert not any("cache" in w for w in warnings)
    return CacheSettings.from_config(config)


def test_litellm_cache_params_are_understood(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        """
litellm_settings:
  cache: true
  cache_params:
    type: s3
    ttl: 120
    namespace: prod
    mode: default_off
    supported_call_types: [acompletion, completion, aembedding, atranscription]
    s3_bucket_name: answers
    s3_region_name: eu-west-1
    s3_endpoint_url: https://minio.internal:9000/
    s3_aws_access_key_id: AKIA123
    s3_aws_secret_access_key: os.environ/S3_SECRET
""",
    )
    assert settings.enabled and settings.type is CacheType.S3 and settings.ttl == 120
    assert settings.mode is CacheMode.DEFAULT_OFF and settings.scope is CacheScope.ORG
    assert settings.call_types == ("chat_completions", "embeddings")
    assert settings.s3_endpoint_url == "https://minio.internal:9000"
    assert settings.s3_aws_secret_access_key is not None
    assert settings.s3_aws_secret_access_key.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)


def test_the_caches_own_redis_comes_from_host_port_and_password(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        """
deltallm_settings:
  cache: true
  cache_params: {type: redis, host: cache.internal, port: 6380, password: "p@ss"}
""",
    )
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == "redis://:p%40ss@cache.internal:6380/0"
    plain = _load(tmp_path, "litellm_settings: {cache: true, cache_params: {type: redis}}\n")
    assert plain.redis_url is None  # the gateway's REDIS_URL then


def test_bad_cache_params_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "litellm_settings: {cache: true, cache_params: {type: s3, scope: planet, ttl: 0}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    problems = "\n".join(caught.value.problems)
    assert "litellm_settings.cache_params.ttl" in problems
    assert "litellm_settings.cache_params.scope" in problems
