"""The values of the spend pipeline: a call's record, daily totals, a budget's state.

:class:`SpendRecord` is a msgspec Struct, so a record costs microseconds to encode for the
Redis stream; money is a Decimal end to end (msgspec encodes it as a string, never a float).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from app.spend.models import BudgetEntity, daily_spend_dims

__all__ = [
    "DAILY_COUNTERS",
    "BudgetState",
    "SpendRecord",
    "daily_totals",
    "decode_record",
    "encode_record",
]

DAILY_COUNTERS = ("request_count", "prompt_tokens", "completion_tokens", "cached_tokens", "cost")
"""The summed columns of a daily total."""

_DIMS = ("key_id", "user_id", "team_id", "org_id", "end_user", "model_group")
_TOKENS = DAILY_COUNTERS[1:4]


class SpendRecord(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """One call: who, which model and deployment, tokens, cost, timing, outcome.

    ``status`` is a :class:`~app.spend.models.SpendStatus` value; ``key_model`` names the
    model group charged to the key's per-model spend (None when the key has no such budget).
    """

    request_id: str
    model_group: str
    cost: Decimal
    started_at: datetime
    ended_at: datetime
    key_id: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    org_id: str | None = None
    end_user: str | None = None
    deployment_id: str | None = None
    provider: str | None = None
    call_type: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency_ms: int = 0
    ttft_ms: int | None = None
    status: str = "ok"
    status_code: int | None = None
    cache_hit: bool = False
    tags: list[str] = msgspec.field(default_factory=list)
    guardrails: list[str] = msgspec.field(default_factory=list)
    key_model: str | None = None
    error_message: str | None = None
    """Why a failed call failed (see :func:`app.gateway.failures.failure_message`)."""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(SpendRecord)


def encode_record(record: SpendRecord) -> bytes:
    """The record as JSON bytes (Decimal as a string, datetimes as RFC 3339)."""
    return _encoder.encode(record)


def decode_record(data: bytes | str) -> SpendRecord:
    """A record from :func:`encode_record`'s bytes; raises ``msgspec.DecodeError`` if invalid."""
    return _decoder.decode(data)


def daily_totals(records: Sequence[SpendRecord]) -> list[dict[str, Any]]:
    """Daily-spend values per (UTC day, dimensions) with summed counters, sorted by that key
    (so concurrent writers upsert rows in one order and never deadlock)."""
    groups: dict[tuple[date, str], dict[str, Any]] = {}
    for r in records:
        dims = {name: getattr(r, name) for name in _DIMS}
        key = (r.started_at.astimezone(UTC).date(), daily_spend_dims(**dims))
        if key not in groups:
            counters = {"request_count": 0, **dict.fromkeys(_TOKENS, 0), "cost": Decimal(0)}
            groups[key] = {"day": key[0], "dims": key[1], **dims, **counters}
        row = groups[key]
        row["request_count"] += 1
        row["cost"] += r.cost
        for name in _TOKENS:
            row[name] += getattr(r, name)
    return [groups[key] for key in sorted(groups)]


@dataclass(frozen=True, slots=True)
class BudgetState:
    """A budgeted entity's spend right after a batch: what the alert thresholds look at.

    ``entity_id`` is ``<key id>/<model group>`` for ``key_model`` and the external id for
    ``end_user``; ``period_start`` is ``created_at`` for budgets that never reset.
    """

    entity_type: BudgetEntity
    entity_id: str
    spend: Decimal
    max_budget: Decimal | None
    soft_budget: Decimal | None
    period_start: datetime
