"""Tables for configuration kept in the database: model deployments and settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlmodel import Field

from app.db.columns import Entity, Timestamps, json_field, page_order

__all__ = ["GatewaySetting", "ModelDeployment"]


class ModelDeployment(Entity, Timestamps, table=True):
    """One deployment of a model group (same shape as a ``model_list`` entry).

    Secrets inside ``params`` (API keys) are stored encrypted by the service.
    """

    __tablename__ = "model_deployments"
    __table_args__ = (page_order("model_deployments"),)

    model_name: str = Field(sa_type=String(255), index=True)
    params: dict[str, Any] = json_field(dict)
    model_info: dict[str, Any] = json_field(dict)
    created_by: str | None = Field(default=None, sa_type=String(255))


class GatewaySetting(Entity, Timestamps, table=True):
    """A gateway setting changed at run time, by name (for example ``retention_days``)."""

    __tablename__ = "gateway_settings"

    key: str = Field(sa_type=String(255), unique=True)
    value: Any = json_field(None)
    updated_by: str | None = Field(default=None, sa_type=String(255))
