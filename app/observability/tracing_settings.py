"""Tracing configuration: ``general_settings.otel``, or LiteLLM's ``callbacks: ["otel"]``
with the standard ``OTEL_*`` environment variables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from app.errors import ConfigError

if TYPE_CHECKING:
    from app.config import GatewayConfig

__all__ = ["OtelSettings", "TracingConfig", "callback_warnings", "tracing_config"]

_DEFAULT_ENDPOINT = "http://localhost:4318"
_TRACES_PATH = "/v1/traces"
_CALLBACKS = frozenset({"otel"})


class OtelSettings(BaseModel):
    """``general_settings.otel``: spans go out over OTLP/HTTP (protobuf) when set."""

    model_config = ConfigDict(extra="allow")

    endpoint: str | None = None
    """The collector's OTLP/HTTP base URL (``/v1/traces`` is added), or the full traces URL."""
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    """Sent with every export (a collector's API key, for one)."""
    service_name: str | None = None
    capture_content: bool = False
    """Put prompts and answers on the spans (``gen_ai.input.messages``, ...)."""
    sample_ratio: float = Field(default=1.0, ge=0, le=1)
    """The share of traces started here that are kept; a caller's sampled flag wins."""

    @field_validator("endpoint")
    @classmethod
    def _an_http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"not an http(s) URL: {value!r}")
        return value


@dataclass(frozen=True, slots=True)
class TracingConfig:
    """Tracing as resolved from the config file and the environment."""

    endpoint: str
    headers: dict[str, SecretStr] = field(default_factory=dict)
    service_name: str = "deltallm"
    capture_content: bool = False
    sample_ratio: float = 1.0


def callback_warnings(callbacks: Sequence[str]) -> list[str]:
    unknown = [c for c in callbacks if c not in _CALLBACKS]
    if not unknown:
        return []
    return [f"litellm_settings.callbacks: not supported, ignored: {', '.join(unknown)}"]


def _traces_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith(_TRACES_PATH) else base + _TRACES_PATH


def _env_headers(value: str) -> dict[str, SecretStr]:
    """``OTEL_EXPORTER_OTLP_HEADERS``: ``key=value`` pairs, comma-separated, URL-encoded."""
    out: dict[str, SecretStr] = {}
    for pair in value.split(","):
        key, sep, item = pair.partition("=")
        if sep and key.strip():
            out[unquote(key.strip())] = SecretStr(unquote(item.strip()))
    return out


def tracing_config(config: GatewayConfig, env: Mapping[str, str]) -> TracingConfig | None:
    """``None`` unless tracing is configured. ``env`` holds the ``OTEL_*`` variables."""
    otel = config.general_settings.otel
    if otel.endpoint is None and "otel" not in config.deltallm_settings.callbacks:
        return None
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    if protocol and protocol != "http/protobuf":
        raise ConfigError(
            [f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: only http/protobuf is supported"]
        )
    if otel.endpoint is not None:
        endpoint = _traces_url(otel.endpoint)
    elif env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        endpoint = env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    else:
        endpoint = _traces_url(
            env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_ENDPOINT") or _DEFAULT_ENDPOINT
        )
    headers = otel.headers
    if not headers:
        raw = env.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") or env.get("OTEL_EXPORTER_OTLP_HEADERS")
        headers = _env_headers(raw or env.get("OTEL_HEADERS", ""))
    return TracingConfig(
        endpoint=endpoint,
        headers=headers,
        service_name=otel.service_name or env.get("OTEL_SERVICE_NAME") or "deltallm",
        capture_content=otel.capture_content,
        sample_ratio=otel.sample_ratio,
    )
