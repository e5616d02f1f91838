"""Tables for virtual keys and their per-model spend.

A key is stored only as ``key_hash`` (HMAC-SHA256 hex of the secret, keyed with the salt
key) plus a non-secret prefix/suffix for display. After a regenerate, the old hash stays
valid in ``previous_key_hash`` until ``previous_key_expires_at``. Keys belong to a user,
a team and/or an org and are deleted with their owner, so a key never outlives the scope
that limited it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field

from app.db.columns import (
    BudgetColumns,
    Entity,
    LimitColumns,
    Timestamps,
    fk_field,
    json_field,
    money_field,
    page_order,
    time_field,
)

__all__ = ["KeyModelSpend", "VirtualKey"]


class VirtualKey(Entity, BudgetColumns, LimitColumns, Timestamps, table=True):
    """An API key applications call the gateway with.

    ``models`` empty means every model the owner may use; ``aliases`` maps a requested
    model name to a model group. ``model_max_budget`` holds decimal strings (JSON has no
    exact decimals); ``model_rpm_limit``/``model_tpm_limit`` hold integers; all three are
    keyed by model group.
    """

    __tablename__ = "virtual_keys"
    __table_args__ = (
        page_order("virtual_keys"),
        Index("ix_virtual_keys_spend_id", "spend", "id"),
        Index("ix_virtual_keys_expires_at_id", "expires_at", "id"),
    )

    key_hash: str = Field(sa_type=String(64), unique=True)
    previous_key_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    previous_key_expires_at: datetime | None = time_field()
    key_prefix: str = Field(sa_type=String(16))
    key_suffix: str = Field(sa_type=String(8))
    alias: str | None = Field(default=None, sa_type=String(255))
    user_id: str | None = fk_field("users.id", ondelete="CASCADE", index=True)
    team_id: str | None = fk_field("teams.id", ondelete="CASCADE", index=True)
    org_id: str | None = fk_field("organizations.id", ondelete="CASCADE", index=True)
    models: list[str] = json_field(list)
    aliases: dict[str, str] = json_field(dict)
    model_max_budget: dict[str, str] = json_field(dict)
    model_rpm_limit: dict[str, int] = json_field(dict)
    model_tpm_limit: dict[str, int] = json_field(dict)
    expires_at: datetime | None = time_field()
    metadata_: dict[str, Any] = json_field(dict, sa_column_kwargs={"name": "metadata"})
    tags: list[str] = json_field(list)
    blocked: bool = False
    revoked_at: datetime | None = time_field()
    created_by: str | None = Field(default=None, sa_type=String(255))
    last_used_at: datetime | None = time_field()
    is_admin: bool = False
    guardrails: list[str] = json_field(list)
    """Guardrails that run on every call made with this key (besides the team's)."""
    allow_request_guardrails: bool = False
    """Whether a request may name extra guardrails in its ``guardrails`` field."""
    allowed_cache_controls: list[str] = json_field(list)
    """Per-request cache controls this key may use (``no-cache``, ``no-store``, ``ttl``, ...)."""


class KeyModelSpend(Entity, Timestamps, table=True):
    """A key's spend on one model group in the current budget period.

    A row per (key, model group), so settlement can add to it atomically
    (``spend = spend + :cost``); reset with the key's budget.
    """

    __tablename__ = "key_model_spend"
    __table_args__ = (UniqueConstraint("key_id", "model_group"),)

    key_id: str = fk_field("virtual_keys.id", ondelete="CASCADE", nullable=False)
    model_group: str = Field(sa_type=String(255))
    spend: Decimal = money_field()
