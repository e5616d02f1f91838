"""Tables for spend: a log row per request, daily aggregates, budget alert state.

Spend rows carry plain id columns, not foreign keys: they are history, outlive the keys,
users and teams they name, and are written in batches off the request path.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, Index, String, UniqueConstraint
from sqlmodel import Field

from app.db.columns import ID_LENGTH, Entity, Timestamps, json_field, money_field, time_field
from app.db.types import StrEnumType, UTCDateTime, enum_check, utcnow

__all__ = [
    "AlertState",
    "BudgetEntity",
    "DailySpend",
    "SpendLog",
    "SpendStatus",
    "daily_spend_dims",
]


class SpendStatus(StrEnum):
    """How a request ended."""

    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"


class BudgetEntity(StrEnum):
    """What a budget belongs to (``key_model``: one model group on one key)."""

    KEY = "key"
    KEY_MODEL = "key_model"
    USER = "user"
    TEAM = "team"
    ORG = "org"
    END_USER = "end_user"


ERROR_MESSAGE_CHARS = 300


def _id_column() -> Any:
    return Field(default=None, sa_type=String(ID_LENGTH))


class SpendLog(Entity, table=True):
    """One row per request: who called, which model and deployment, tokens, cost, timing."""

    __tablename__ = "spend_logs"
    __table_args__ = (
        enum_check("status", SpendStatus),
        Index("ix_spend_logs_key_id_started_at", "key_id", "started_at"),
        Index("ix_spend_logs_user_id_started_at", "user_id", "started_at"),
        Index("ix_spend_logs_team_id_started_at", "team_id", "started_at"),
        Index("ix_spend_logs_org_id_started_at", "org_id", "started_at"),
        Index("ix_spend_logs_model_group_started_at", "model_group", "started_at"),
        Index("ix_spend_logs_written_at_id", "written_at", "id"),
        # requestStats answers from this index alone (migration 0009).
        Index(
            "ix_spend_logs_started_at_stats",
            "started_at",
            "status",
            "latency_ms",
            "prompt_tokens",
            "completion_tokens",
            "cost",
        ),
    )

    request_id: str = Field(sa_type=String(128), unique=True)
    key_id: str | None = _id_column()
    user_id: str | None = _id_column()
    team_id: str | None = _id_column()
    org_id: str | None = _id_column()
    end_user: str | None = Field(default=None, sa_type=String(255))
    model_group: str = Field(sa_type=String(255))
    deployment_id: str | None = Field(default=None, sa_type=String(255))
    provider: str | None = Field(default=None, sa_type=String(64))
    call_type: str | None = Field(default=None, sa_type=String(32))
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost: Decimal = money_field()
    latency_ms: int = 0
    ttft_ms: int | None = None
    status: SpendStatus = Field(default=SpendStatus.OK, sa_type=StrEnumType(SpendStatus, length=16))
    status_code: int | None = None
    cache_hit: bool = False
    tags: list[str] = json_field(list)
    guardrails: list[str] = json_field(list)
    """The guardrails that ran on the call (names only, never what they matched)."""
    started_at: datetime = time_field(nullable=False, index=True)
    ended_at: datetime = time_field(nullable=False)
    written_at: datetime | None = time_field()
    """When the spend writer stored the row (what the live tail follows)."""
    error_message: str | None = Field(default=None, sa_type=String(ERROR_MESSAGE_CHARS))
    """Why a failed call failed: redacted, bounded, never prompt text."""


def daily_spend_dims(
    *,
    key_id: str | None,
    user_id: str | None,
    team_id: str | None,
    org_id: str | None,
    end_user: str | None,
    model_group: str,
) -> str:
    """The ``dims`` value of a :class:`DailySpend` row: SHA-256 of the canonical dimensions.

    NULL dimensions would make a unique constraint useless (NULLs never collide), so the
    row is identified by ``(day, dims)`` instead.
    """
    values = [key_id, user_id, team_id, org_id, end_user, model_group]
    canonical = json.dumps(values, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


class DailySpend(Entity, Timestamps, table=True):
    """Totals per UTC day and combination of key, user, team, org, end user, model group.

    Upserted in batches: ``ON CONFLICT (day, dims) DO UPDATE`` adding to the counters.
    """

    __tablename__ = "daily_spend"
    __table_args__ = (
        UniqueConstraint("day", "dims"),
        Index("ix_daily_spend_key_id_day", "key_id", "day"),
        Index("ix_daily_spend_user_id_day", "user_id", "day"),
        Index("ix_daily_spend_team_id_day", "team_id", "day"),
        Index("ix_daily_spend_org_id_day", "org_id", "day"),
        Index("ix_daily_spend_end_user_day", "end_user", "day"),
        Index("ix_daily_spend_model_group_day", "model_group", "day"),
    )

    day: date = Field(sa_type=Date)
    dims: str = Field(sa_type=String(64))
    key_id: str | None = _id_column()
    user_id: str | None = _id_column()
    team_id: str | None = _id_column()
    org_id: str | None = _id_column()
    end_user: str | None = Field(default=None, sa_type=String(255))
    model_group: str = Field(sa_type=String(255))
    request_count: int = Field(default=0, sa_type=BigInteger)
    prompt_tokens: int = Field(default=0, sa_type=BigInteger)
    completion_tokens: int = Field(default=0, sa_type=BigInteger)
    cached_tokens: int = Field(default=0, sa_type=BigInteger)
    cost: Decimal = money_field()


class AlertState(Entity, table=True):
    """A budget alert already sent: inserting it first (``ON CONFLICT DO NOTHING``) decides
    who sends, so each alert goes out once per entity, threshold and budget period.

    ``threshold`` is a percentage of ``max_budget`` (``"50"``, ``"80"``, ``"100"``) or
    ``"soft"`` for the soft budget; ``entity_id`` is ``<key id>/<model group>`` for
    ``key_model``; ``period_start`` is the entity's ``created_at`` for budgets that never
    reset.
    """

    __tablename__ = "alert_states"
    __table_args__ = (
        UniqueConstraint("entity_type", "entity_id", "threshold", "period_start"),
        enum_check("entity_type", BudgetEntity),
    )

    entity_type: BudgetEntity = Field(sa_type=StrEnumType(BudgetEntity, length=16))
    entity_id: str = Field(sa_type=String(320))
    threshold: str = Field(sa_type=String(16))
    period_start: datetime = time_field(nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
