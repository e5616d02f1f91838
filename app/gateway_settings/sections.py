"""Settings that platform admins change at run time, over ``config.yaml``'s values.

Each section is validated with the same rules as the file: router settings (strategy,
retries, timeouts, fallbacks, cooldowns, aliases), background health checks, the
response cache and guardrail policies. The database holds only what was changed; the
effective settings are the file's values with those changes laid over them.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from app.config import GatewayConfig, RouterSettings

__all__ = [
    "CACHE_CALL_TYPES",
    "CACHE_CONNECTION_FIELDS",
    "ROUTER_FIELDS",
    "AdHocRecognizer",
    "CacheMode",
    "CacheScope",
    "CacheSettings",
    "CacheType",
    "EffectiveSettings",
    "Fallback",
    "GuardrailKind",
    "GuardrailMode",
    "GuardrailPolicy",
    "HealthCheckSettings",
    "OnFlagged",
    "PiiAction",
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthCheckSettings(_Strict):
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


class CacheSettings(_Strict):
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


class GuardrailKind(StrEnum):
    PRESIDIO = "presidio"
    LAKERA = "lakera_v2"
    KEYWORDS = "keywords"
    """Built in: block (or mask) listed words and regular expressions."""


class GuardrailMode(StrEnum):
    PRE_CALL = "pre_call"
    DURING_CALL = "during_call"
    POST_CALL = "post_call"
    LOGGING_ONLY = "logging_only"


class PiiAction(StrEnum):
    MASK = "MASK"
    BLOCK = "BLOCK"


class OnFlagged(StrEnum):
    BLOCK = "block"
    MONITOR = "monitor"


class Fallback(StrEnum):
    FAIL_OPEN = "fail_open"
    FAIL_CLOSED = "fail_closed"


class AdHocRecognizer(_Strict):
    """An extra Presidio recognizer from config: regular expressions and/or a deny list."""

    name: str = Field(default="", max_length=64)
    supported_entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")
    patterns: tuple[dict[str, Any], ...] = ()
    deny_list: tuple[str, ...] = ()
    supported_language: str | None = None
    """Accepted from Presidio's recognizer files; the policy's language applies."""
    context: tuple[str, ...] = ()
    """Accepted from Presidio's recognizer files; context words need an NLP model."""

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, values: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        for pattern in values:
            _regex(pattern.get("regex"))
            score = pattern.get("score", 0.5)
            if not isinstance(score, int | float) or not 0 <= score <= 1:
                raise ValueError("pattern score must be a number between 0 and 1")
        return values


def _regex(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a pattern needs a non-empty `regex`")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


class GuardrailPolicy(_Strict):
    """One guardrail (``guardrails[]`` in ``config.yaml``) as the gateway applies it."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    guardrail: GuardrailKind
    mode: GuardrailMode = GuardrailMode.PRE_CALL
    default_on: bool = False
    pii_entities: dict[str, PiiAction] = Field(default_factory=dict)
    api_base: str | None = None
    api_key: SecretStr | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)
    score_thresholds: dict[str, float] = Field(default_factory=dict)
    """Per entity minimum Presidio score (LiteLLM's ``presidio_score_thresholds``)."""
    allow_list: tuple[str, ...] = ()
    """Values Presidio never reports (``presidio_allow_list``)."""
    ad_hoc_recognizers: tuple[AdHocRecognizer, ...] = ()
    """Extra regex / deny-list recognizers (``presidio_ad_hoc_recognizers``, inline)."""
    output_parse_pii: bool = False
    """Restore the values masked in the prompt where the answer repeats their tokens."""
    analyzer_api_base: str | None = None
    anonymizer_api_base: str | None = None
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    spacy_model: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{1,64}$")
    """An installed spaCy model (names, places); without one, pattern recognizers only."""
    phone_regions: tuple[str, ...] = ()
    """Regions the phone recognizer tries (``US``, ``GB``, ...); empty: Presidio's eight."""
    keywords: tuple[str, ...] = ()
    """``keywords`` guardrail: words matched case-insensitively on word boundaries."""
    patterns: tuple[str, ...] = ()
    """``keywords`` guardrail: regular expressions."""
    keyword_action: PiiAction = PiiAction.BLOCK
    on_flagged: OnFlagged = OnFlagged.BLOCK
    timeout: float = Field(default=5.0, gt=0, le=120)
    unreachable_fallback: Fallback = Fallback.FAIL_CLOSED
    stream_hold: bool = False
    """post_call on streams: hold the answer until it is checked (else checked at its end)."""
    from_config: bool = False

    @field_validator("ad_hoc_recognizers", mode="before")
    @classmethod
    def _recognizer_file(cls, value: Any) -> Any:
        """LiteLLM gives ``presidio_ad_hoc_recognizers`` as the path of a JSON file."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(Path(value).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the recognizers file {value}: {exc}") from None

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_regex(v) for v in values)

    @model_validator(mode="after")
    def _language_needs_a_model(self) -> GuardrailPolicy:
        if self.language != "en" and self.spacy_model is None:
            raise ValueError("a language other than en needs presidio_spacy_model")
        return self

    @field_validator("phone_regions")
    @classmethod
    def _regions(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for region in values:
            if len(region) != 2 or not region.isalpha() or not region.isupper():
                raise ValueError(f"phone regions are two capital letters like US, not {region!r}")
        return tuple(dict.fromkeys(values))

    @field_validator("score_thresholds")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        for entity, score in value.items():
            if not 0 <= score <= 1:
                raise ValueError(f"score threshold of {entity} must be between 0 and 1")
        return value

    @field_validator("pii_entities")
    @classmethod
    def _entity_names(cls, value: dict[str, PiiAction]) -> dict[str, PiiAction]:
        for entity in value:
            if not entity or not entity.replace("_", "").isalnum() or not entity.isupper():
                raise ValueError(f"entity names are upper case like EMAIL_ADDRESS, not {entity!r}")
        return value

    @field_validator("api_base", "analyzer_api_base", "anonymizer_api_base")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials; use api_key")
        return value.rstrip("/")

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> GuardrailPolicy:
        """A ``guardrails[]`` entry of ``config.yaml`` (LiteLLM's shape)."""
        params = dict(entry.get("litellm_params") or entry.get("deltallm_params") or {})
        return cls(
            name=entry.get("guardrail_name", ""),
            guardrail=params.get("guardrail", ""),
            mode=params.get("mode", GuardrailMode.PRE_CALL),
            default_on=bool(params.get("default_on", False)),
            pii_entities=params.get("pii_entities_config") or {},
            api_base=params.get("api_base"),
            api_key=params.get("api_key"),
            threshold=params.get("threshold"),
            from_config=True,
            **{field: params[name] for name, field in _ENTRY_FIELDS.items() if name in params},
        )

    def stored(self, encrypted_key: str | None) -> dict[str, Any]:
        """The database form: the API key only encrypted."""
        data = self.model_dump(mode="json", exclude={"api_key", "from_config"})
        data["api_key_encrypted"] = encrypted_key
        return data


_ENTRY_FIELDS = {
    "presidio_score_thresholds": "score_thresholds",
    "presidio_allow_list": "allow_list",
    "presidio_ad_hoc_recognizers": "ad_hoc_recognizers",
    "output_parse_pii": "output_parse_pii",
    "presidio_analyzer_api_base": "analyzer_api_base",
    "presidio_anonymizer_api_base": "anonymizer_api_base",
    "presidio_language": "language",
    "presidio_spacy_model": "spacy_model",
    "presidio_phone_regions": "phone_regions",
    "keywords": "keywords",
    "patterns": "patterns",
    "keyword_action": "keyword_action",
    "on_flagged": "on_flagged",
    "timeout": "timeout",
    "unreachable_fallback": "unreachable_fallback",
    "stream_hold": "stream_hold",
}
"""``litellm_params`` names of a ``guardrails[]`` entry and the policy fields they set."""


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
