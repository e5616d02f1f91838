"""``general_settings.responses_store``: whether ``/v1/responses`` answers are kept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ResponsesStoreSettings"]


class ResponsesStoreSettings(BaseModel):
    """Stored responses make ``previous_response_id``, ``GET /v1/responses/{id}`` and
    ``DELETE`` work. A stored response holds the conversation's input and output, prompt
    text included, in the database until ``retention_days`` have passed."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    enabled: bool = False
    retention_days: int = Field(default=30, ge=1, le=3650)
    """Days a stored response is kept; older ones are purged."""
    purge_interval: float = Field(default=3600.0, gt=0)
    """Seconds between purges of expired responses (one instance of the cluster purges)."""
