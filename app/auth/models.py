"""Tables for signed-in people: console sessions and MFA recovery codes.

Neither table stores a secret: sessions keep the HMAC-SHA256 of their token and recovery
codes the HMAC-SHA256 of the code, both keyed with ``DELTALLM_SALT_KEY``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from app.db.columns import Entity, fk_field, time_field
from app.db.types import utcnow

__all__ = ["RecoveryCode", "UserSession"]

HASH_LENGTH = 64


class UserSession(Entity, table=True):
    """One console sign-in, identified by the keyed hash of its cookie token."""

    __tablename__ = "sessions"

    user_id: str = fk_field("users.id", ondelete="CASCADE", nullable=False, index=True)
    token_hash: str = Field(sa_type=String(HASH_LENGTH), unique=True)
    created_at: datetime = time_field(nullable=False, default_factory=utcnow)
    last_seen_at: datetime = time_field(nullable=False, default_factory=utcnow)
    expires_at: datetime = time_field(nullable=False)
    mfa_passed: bool = False
    user_agent: str | None = Field(default=None, sa_type=String(512))
    ip: str | None = Field(default=None, sa_type=String(64))


class RecoveryCode(Entity, table=True):
    """A single-use MFA recovery code; ``used_at`` is set when it is spent."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    user_id: str = fk_field("users.id", ondelete="CASCADE", nullable=False)
    code_hash: str = Field(sa_type=String(HASH_LENGTH))
    used_at: datetime | None = time_field()
