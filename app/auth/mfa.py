"""TOTP second factor: checking a code, issuing and spending recovery codes.

These helpers work inside the caller's database transaction, so that spending a recovery
code and opening a session commit (or roll back) together.
"""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlalchemy import delete, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import RecoveryCode
from app.auth.secrets import (
    RECOVERY_CODE_COUNT,
    SecretBox,
    generate_recovery_code,
    keyed_hash,
    normalise_recovery_code,
)

__all__ = [
    "TOTP_DIGITS",
    "forget_recovery_codes",
    "issue_recovery_codes",
    "spend_recovery_code",
    "totp_matches",
]

TOTP_DIGITS = 6
TOTP_DRIFT_STEPS = 1
"""Codes from one 30-second step before or after ``now`` are accepted (clock drift)."""


def totp_matches(box: SecretBox, encrypted_secret: str | None, code: str, now: datetime) -> bool:
    """Whether ``code`` is the current TOTP code of the encrypted secret."""
    code = code.strip().replace(" ", "")
    if encrypted_secret is None or len(code) != TOTP_DIGITS or not code.isdigit():
        return False
    secret = box.decrypt(encrypted_secret)
    if secret is None:
        return False
    return pyotp.TOTP(secret).verify(code, for_time=now, valid_window=TOTP_DRIFT_STEPS)


async def spend_recovery_code(
    session: AsyncSession, user_id: str, code: str, salt: str, now: datetime
) -> bool:
    """Mark the user's unused recovery code ``code`` used; ``False`` if there is none."""
    code_hash = keyed_hash(normalise_recovery_code(code), salt)
    result = await session.exec(
        update(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user_id)
        .where(col(RecoveryCode.code_hash) == code_hash)
        .where(col(RecoveryCode.used_at).is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount == 1)


async def issue_recovery_codes(session: AsyncSession, user_id: str, salt: str) -> list[str]:
    """Replace the user's recovery codes with new ones; only their hashes are stored."""
    await forget_recovery_codes(session, user_id)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(generate_recovery_code())
    ordered = sorted(codes)
    session.add_all(
        RecoveryCode(user_id=user_id, code_hash=keyed_hash(code, salt)) for code in ordered
    )
    return ordered


async def forget_recovery_codes(session: AsyncSession, user_id: str) -> None:
    """Delete every recovery code of the user, used or not."""
    await session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
