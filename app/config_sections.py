"""The sub-sections of ``general_settings`` in ``config.yaml``: URL fetching, budget alerts,
single sign-on, password sign-in limits and behaviour during a Redis outage."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "BudgetAlertSettings",
    "OidcSettings",
    "RedisOutageSettings",
    "Section",
    "SignInSettings",
    "UrlFetchSettings",
]


class Section(BaseModel):
    """A config section: unknown keys are kept (for one warning), not rejected."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class UrlFetchSettings(Section):
    """Whether the gateway may fetch URLs that callers supply (e.g. image URLs)."""

    enabled: bool = False
    allowed_hosts: list[str] = Field(default_factory=list)
    max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    timeout: float = Field(default=10.0, gt=0)


class BudgetAlertSettings(Section):
    """Where budget alerts go (Slack-compatible JSON webhooks) and at which thresholds."""

    webhook_urls: list[str] = Field(default_factory=list)
    thresholds: list[int] = Field(default_factory=lambda: [50, 80, 100])
    timeout: float = Field(default=5.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)

    @field_validator("webhook_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL: {url!r}")
        return urls

    @field_validator("thresholds")
    @classmethod
    def _percentages(cls, values: list[int]) -> list[int]:
        if any(not 0 < v <= 100 for v in values):
            raise ValueError("thresholds are percentages between 1 and 100")
        return sorted(set(values))


class OidcSettings(Section):
    """Single sign-on with an OpenID Connect provider (authorization code + PKCE)."""

    enabled: bool = False
    label: str | None = None
    """The sign-in button's provider name (``Okta``); "single sign-on" when unset."""
    issuer: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    redirect_uri: str | None = None
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    allowed_domains: list[str] = Field(default_factory=list)
    default_role: str = "org_user"
    audience: str | None = None
    """Also accepted as a bearer token's ``aud`` at ``/graphql`` (besides ``client_id``)."""
    allow_unverified_email: bool = False
    """Accept tokens whose ``email_verified`` is not ``true``. Off by default: with it on,
    whoever can get a token for an address from this provider becomes that account,
    including an existing local one. Turn it on only for a provider that verifies every
    address it issues (and says so nowhere in its tokens)."""

    @field_validator("issuer")
    @classmethod
    def _http_issuer(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL: {value!r}")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> OidcSettings:
        if self.enabled and not (self.issuer and self.client_id):
            raise ValueError("oidc needs issuer and client_id when enabled")
        if self.default_role not in ("org_user", "platform_co_admin", "platform_admin"):
            raise ValueError(f"unknown default_role {self.default_role!r}")
        return self


class SignInSettings(Section):
    """Password sign-in limits that hold before any account is looked at."""

    max_attempts_per_minute: int = Field(default=20, ge=0)
    """Sign-in attempts one client address may make per calendar minute (0: no limit)."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Reverse proxies (addresses or CIDR blocks) whose ``X-Forwarded-For`` names the
    client; from any other peer the header is ignored and the socket peer is the client."""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"not an address or CIDR block: {value!r}") from None
        return values


class RedisOutageSettings(Section):
    """What admission does while Redis (the shared counters) cannot be reached, per limit
    type: ``closed`` refuses calls those limits apply to with a 503 naming the cause;
    ``open`` serves them uncounted, with a warning in the log."""

    rate_limits: Literal["closed", "open"] = "closed"
    """RPM, TPM and parallel-request limits."""
    budgets: Literal["closed", "open"] = "closed"
    """Budgets of keys, users, teams, organizations and end users."""
