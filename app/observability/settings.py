"""``general_settings.metrics``: who may scrape ``/metrics`` and which labels it carries."""

from __future__ import annotations

import hmac
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["MetricsSettings", "may_scrape"]

LabelScope = Literal["key", "team", "organization"]


class MetricsSettings(BaseModel):
    """``/metrics`` answers the master key or ``metrics_key`` (as a Bearer token) unless
    ``public``. Per-key, per-team and per-organization series exist only for the scopes
    listed in ``labels``: each adds a series per key, team or organization."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    public: bool = False
    """Serve ``/metrics`` without a token (for a scraper on a private network)."""
    metrics_key: SecretStr | None = None
    """A Bearer token that may read ``/metrics`` and nothing else."""
    labels: list[LabelScope] = Field(default_factory=list)
    """Extra label scopes: ``key`` (key id and alias), ``team``, ``organization``."""
    sync_interval: float = Field(default=2.0, gt=0, le=60)
    """Seconds between refreshes of state gauges (deployment health, queue depth)."""


def may_scrape(settings: MetricsSettings, master_key: SecretStr, token: str | None) -> bool:
    """Whether a scrape presenting ``token`` (None: none) may read ``/metrics``."""
    if settings.public:
        return True
    if not token:
        return False
    secrets = [master_key, settings.metrics_key]
    given = token.encode()
    return any(
        s is not None and hmac.compare_digest(s.get_secret_value().encode(), given) for s in secrets
    )
