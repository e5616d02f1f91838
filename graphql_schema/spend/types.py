"""GraphQL types of spend analytics, request logs and audit entries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.audit.models import AuditLog
from app.spend.analytics import Dimension, Totals
from app.spend.models import SpendLog

__all__ = ["AuditEntry", "RequestLog", "RequestLogFilter", "SpendDimension", "SpendTotals"]


@strawberry.enum
class SpendDimension(Enum):
    MODEL = Dimension.MODEL.value
    KEY = Dimension.KEY.value
    USER = Dimension.USER.value
    TEAM = Dimension.TEAM.value
    ORG = Dimension.ORG.value
    END_USER = Dimension.END_USER.value


@strawberry.type
class SpendTotals:
    """Totals of one day, one breakdown entry (``label``), or a whole window. ``name``: a
    breakdown entry's display name (key alias or ``sk-ab…wxyz``, team or organization
    name, user e-mail); null elsewhere, for models and end users, and for deleted ids."""

    label: str | None
    name: str | None
    cost: Decimal
    requests: int
    prompt_tokens: int
    completion_tokens: int

    @classmethod
    def of(cls, totals: Totals) -> SpendTotals:
        return cls(
            label=totals.label,
            name=totals.name,
            cost=totals.cost,
            requests=totals.requests,
            prompt_tokens=totals.prompt_tokens,
            completion_tokens=totals.completion_tokens,
        )


@strawberry.type
class RequestLog:
    request_id: str
    key_id: strawberry.ID | None
    user_id: strawberry.ID | None
    team_id: strawberry.ID | None
    org_id: strawberry.ID | None
    end_user: str | None
    model_group: str
    deployment_id: str | None
    provider: str | None
    call_type: str | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cache_hit: bool = strawberry.field(description="Answered from the response cache.")
    cost: Decimal
    latency_ms: int
    ttft_ms: int | None
    status: str
    status_code: int | None
    tags: list[str]
    started_at: datetime
    error_message: str | None = strawberry.field(
        description="Why a failed call failed: redacted, at most 300 characters, no prompt text."
    )

    @classmethod
    def of(cls, row: SpendLog) -> RequestLog:
        return cls(
            request_id=row.request_id,
            key_id=_id(row.key_id),
            user_id=_id(row.user_id),
            team_id=_id(row.team_id),
            org_id=_id(row.org_id),
            end_user=row.end_user,
            model_group=row.model_group,
            deployment_id=row.deployment_id,
            provider=row.provider,
            call_type=row.call_type,
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            cached_tokens=row.cached_tokens,
            cache_hit=row.cache_hit,
            cost=row.cost,
            latency_ms=row.latency_ms,
            ttft_ms=row.ttft_ms,
            status=row.status.value,
            status_code=row.status_code,
            tags=list(row.tags),
            started_at=row.started_at,
            error_message=row.error_message,
        )


def _id(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value is not None else None


@strawberry.input
class RequestLogFilter:
    start: datetime | None = None
    end: datetime | None = None
    key_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = None
    model_group: str | None = None
    status: str | None = None


@strawberry.type
class AuditEntry:
    id: strawberry.ID
    actor_type: str
    actor_id: str | None
    action: str
    target_type: str
    target_id: str | None
    org_id: strawberry.ID | None
    before: JSON | None
    after: JSON | None
    request_id: str | None
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: AuditLog) -> AuditEntry:
        return cls(
            id=strawberry.ID(row.id),
            actor_type=row.actor_type.value,
            actor_id=row.actor_id,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            org_id=_id(row.org_id),
            before=cast(JSON | None, row.before),
            after=cast(JSON | None, row.after),
            request_id=row.request_id,
            reason=row.reason,
            created_at=row.created_at,
        )
