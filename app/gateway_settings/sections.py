"""Settings that platform admins change at run time, over ``config.yaml``'s values.

Each section is validated with the same rules as the file: router settings (strategy,
retries, timeouts, fallbacks, cooldowns, aliases), background health checks, the
response cache and guardrail policies (defined in :mod:`.guardrail_policy`). The database
holds only what was changed; the effective settings are the file's values with those
changes laid over them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from app.config import GatewayConfig, RouterSettings
from app.gateway_settings.guardrail_policy import GuardrailPolicy
from app.gateway_settings.strict import Strict

__all__ = [
    "CACHE_CALL_TYPES",
    "CACHE_CONNECTION_FIELDS",
    "ROUTER_FIELDS",
    "CacheMode",
    "CacheScope",
    "CacheSettings",
    "CacheType",
    "EffectiveSettings",
    "HealthCheckSettings",
]

# Router settings an admin may change at run time (the Redis connection may not).
ROUTER_FIELDS = (
    "routing_strategy",
    "num_retries",
    "timeout",
    "stream_timeout",
    "retry_after",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "allowed_fails",
    "cooldown_time",
    "model_group_alias",
)


class HealthCheckSettings(Strict):
    """Background probes of every deployment (the smallest request its mode allows)."""

    enabled: bool = False
    interval: float = Field(default=300.0, ge=5, le=86_400)
    timeout: float = Field(default=10.0, gt=0, le=600)

    @classmethod
    def from_config(cls, config: GatewayConfig) -> HealthCheckSettings:
        general, router = config.general_settings, config.router_settings
        return cls(
            enabled=general.background_health_checks or router.enable_health_checks,
            interval=max(5.0, min(general.health_check_interval, router.health_check_interval)),
        )


class CacheType(StrEnum):
    LOCAL = "local"
    REDIS = "redis"
    S3 = "s3"


class CacheMode(StrEnum):
    DEFAULT_ON = "default_on"
    DEFAULT_OFF = "default_off"
    """Only requests that opt in (``cache: {"use-cache": true}``) are cached."""


class CacheScope(StrEnum):
    """Who shares cached answers: callers of one organization (the default), team or
    key, or everyone (a shared, non-tenant deployment only)."""

    ORG = "org"
    TEAM = "team"
    KEY = "key"
    GLOBAL = "global"


CACHE_CALL_TYPES = ("chat_completions", "completions", "embeddings", "messages", "responses")
_LITELLM_CALL_TYPES = {
    "completion": "chat_completions",
    "acompletion": "chat_completions",
    "chat_completions": "chat_completions",
    "text_completion": "completions",
    "atext_completion": "completions",
    "completions": "completions",
    "embedding": "embeddings",
    "aembedding": "embeddings",
    "embeddings": "embeddings",
    "anthropic_messages": "messages",
    "messages": "messages",
    "responses": "responses",
    "aresponses": "responses",
}
CACHE_CONNECTION_FIELDS = frozenset(
    {"redis_url", "s3_aws_access_key_id", "s3_aws_secret_access_key"}
)
"""Cache settings only ``config.yaml`` sets: connections and credentials, never the API."""


class CacheSettings(Strict):
    """The response cache: where entries live, for how long, for which calls, shared by whom."""

    enabled: bool = False
    type: CacheType = CacheType.LOCAL
    ttl: int = Field(default=600, ge=1, le=30 * 86_400)
    namespace: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    max_entry_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    call_types: tuple[str, ...] = CACHE_CALL_TYPES
    mode: CacheMode = CacheMode.DEFAULT_ON
    scope: CacheScope = CacheScope.ORG
    charge_hits: bool = False
    max_size_bytes: int = Field(default=64 * 1_048_576, ge=1_048_576, le=64 * 1024 * 1_048_576)
    """The in-memory backend's bound (least recently used entries go first)."""
    s3_bucket_name: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    s3_region_name: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,32}$")
    s3_endpoint_url: str | None = None
    redis_url: SecretStr | None = None
    """A Redis of the cache's own (``cache_params`` host/port/password); else the gateway's."""
    s3_aws_access_key_id: SecretStr | None = None
    s3_aws_secret_access_key: SecretStr | None = None

    @field_validator("call_types")
    @classmethod
    def _known_calls(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(values) - set(CACHE_CALL_TYPES))
        if unknown:
            raise ValueError(f"unknown call types {unknown}; use {sorted(CACHE_CALL_TYPES)}")
        return tuple(dict.fromkeys(values))

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if parts.username or parts.password or parts.query:
            raise ValueError("must be a plain URL (credentials go in s3_aws_* fields)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _s3_bucket(self) -> CacheSettings:
        if self.enabled and self.type is CacheType.S3 and not self.s3_bucket_name:
            raise ValueError("the s3 cache needs s3_bucket_name")
        return self

    @classmethod
    def from_config(cls, config: GatewayConfig) -> CacheSettings:
        """``litellm_settings.cache`` and ``cache_params`` (LiteLLM's names)."""
        section = config.deltallm_settings
        params = section.cache_params
        kind = params.get("type", "local")
        values: dict[str, Any] = {
            "enabled": section.cache,
            "type": kind if kind in ("local", "redis", "s3") else "local",
            "ttl": int(params.get("ttl", 600)),
            "namespace": params.get("namespace"),
            "redis_url": _redis_url(params),
        }
        calls = params.get("supported_call_types")
        if isinstance(calls, list):
            values["call_types"] = tuple(
                dict.fromkeys(_LITELLM_CALL_TYPES[c] for c in calls if c in _LITELLM_CALL_TYPES)
            )
        for name in ("mode", "scope", "charge_hits", "max_entry_bytes", "max_size_bytes"):
            if params.get(name) is not None:
                values[name] = params[name]
        for name in ("s3_bucket_name", "s3_region_name", "s3_endpoint_url"):
            values[name] = params.get(name)
        for name in ("s3_aws_access_key_id", "s3_aws_secret_access_key"):
            values[name] = params.get(name) or None
        return cls(**values)


def _redis_url(params: dict[str, Any]) -> str | None:
    """``cache_params``' own Redis: ``url``, or ``host``/``port``/``password``."""
    if params.get("url") or params.get("redis_url"):
        return str(params.get("url") or params.get("redis_url"))
    host = params.get("host")
    if not host:
        return None
    password = params.get("password")
    auth = f":{quote(str(password), safe='')}@" if password else ""
    return f"redis://{auth}{host}:{int(params.get('port') or 6379)}/0"


class EffectiveSettings(BaseModel):
    """What the gateway runs with now: the file's values and the admins' changes."""

    model_config = ConfigDict(frozen=True)

    router: RouterSettings
    router_overridden: tuple[str, ...] = ()
    health_checks: HealthCheckSettings
    health_checks_overridden: bool = False
    cache: CacheSettings
    cache_overridden: bool = False
    guardrails: tuple[GuardrailPolicy, ...] = ()

    def guardrail(self, name: str) -> GuardrailPolicy | None:
        return next((g for g in self.guardrails if g.name == name), None)
