"""The audit log table: one row per administrative change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String
from sqlmodel import Field

from app.db.columns import ID_LENGTH, Entity, json_field
from app.db.types import StrEnumType, UTCDateTime, enum_check, utcnow

__all__ = ["ActorType", "AuditLog"]


class ActorType(StrEnum):
    """Who made a change: a signed-in user, a virtual key, the master key, or the system."""

    USER = "user"
    KEY = "key"
    MASTER_KEY = "master_key"
    SYSTEM = "system"


class AuditLog(Entity, table=True):
    """Who did what to which object, with the object before and after, and when.

    ``org_id`` scopes the row for org admins and auditors; ``before``/``after`` are
    ``None`` for creations and deletions respectively, and never hold secrets.
    """

    __tablename__ = "audit_logs"
    __table_args__ = (
        enum_check("actor_type", ActorType),
        Index("ix_audit_logs_target_type_target_id", "target_type", "target_id"),
        Index("ix_audit_logs_actor_id_created_at", "actor_id", "created_at"),
        Index("ix_audit_logs_org_id_created_at", "org_id", "created_at"),
    )

    actor_type: ActorType = Field(sa_type=StrEnumType(ActorType, length=16))
    actor_id: str | None = Field(default=None, sa_type=String(255))
    action: str = Field(sa_type=String(64))
    target_type: str = Field(sa_type=String(64))
    target_id: str | None = Field(default=None, sa_type=String(255))
    org_id: str | None = Field(default=None, sa_type=String(ID_LENGTH))
    before: dict[str, Any] | None = json_field()
    after: dict[str, Any] | None = json_field()
    request_id: str | None = Field(default=None, sa_type=String(128))
    reason: str | None = Field(default=None, sa_type=String(500))
    """Why, when the administrator said (bulk blocks and revocations ask)."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
