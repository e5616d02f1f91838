"""A key's status and the orders keys are listed in.

The statuses exclude each other, first match wins: REVOKED (revoked at some time), then
BLOCKED, then EXPIRED (its expiry has passed), else ACTIVE. A revoked key never comes back;
a blocked one may be unblocked.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, not_, or_
from sqlmodel import col

from app.keys.models import VirtualKey

__all__ = ["KeySort", "KeyStatus", "status_condition", "status_of"]


class KeyStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    EXPIRED = "expired"
    REVOKED = "revoked"


class KeySort(StrEnum):
    """The column keys are ordered by (then by id); each has an index with ``id``."""

    CREATED = "created_at"
    SPEND = "spend"
    EXPIRY = "expires_at"


def status_of(key: VirtualKey, now: datetime) -> KeyStatus:
    if key.revoked_at is not None:
        return KeyStatus.REVOKED
    if key.blocked:
        return KeyStatus.BLOCKED
    if key.expires_at is not None and key.expires_at <= now:
        return KeyStatus.EXPIRED
    return KeyStatus.ACTIVE


def status_condition(status: KeyStatus, now: datetime) -> Any:
    """The SQL condition of :func:`status_of` being ``status``."""
    revoked = col(VirtualKey.revoked_at).is_not(None)
    blocked = col(VirtualKey.blocked)
    expires = col(VirtualKey.expires_at)
    expired = and_(expires.is_not(None), expires <= now)
    return {
        KeyStatus.REVOKED: revoked,
        KeyStatus.BLOCKED: and_(not_(revoked), blocked),
        KeyStatus.EXPIRED: and_(not_(revoked), not_(blocked), expired),
        KeyStatus.ACTIVE: and_(not_(revoked), not_(blocked), or_(expires.is_(None), expires > now)),
    }[status]
