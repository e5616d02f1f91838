"""TOTP second factor: checking a code once, issuing and spending recovery codes.

These helpers work inside the caller's database transaction, so that spending a code and
the change it allows (a session, MFA turned off) commit (or roll back) together.

A TOTP code is good for one use: :func:`claim_totp_step` accepts its time step only if it
is later than the last step the user had accepted, with one conditional UPDATE, so two
concurrent sign-ins with the same code cannot both pass.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
from sqlalchemy import delete, or_, update
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
from app.users.models import User

__all__ = [
    "TOTP_DIGITS",
    "check_second_factor",
    "claim_totp_step",
    "forget_recovery_codes",
    "issue_recovery_codes",
    "spend_recovery_code",
    "totp_step",
]

TOTP_DIGITS = 6
TOTP_DRIFT_STEPS = 1
"""Codes from one 30-second step before or after ``now`` are accepted (clock drift)."""


def totp_step(box: SecretBox, encrypted_secret: str | None, code: str, now: datetime) -> int | None:
    """The time step (within the drift window) whose TOTP code is ``code``, else ``None``."""
    code = code.strip().replace(" ", "")
    if encrypted_secret is None or len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    secret = box.decrypt(encrypted_secret)
    if secret is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def claim_totp_step(session: AsyncSession, user_id: str, step: int) -> bool:
    """Record ``step`` as the user's last accepted one; ``False`` if it is not later."""
    last = col(User.totp_last_step)
    result = await session.exec(
        update(User)
        .where(col(User.id) == user_id)
        .where(or_(last.is_(None), last < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def check_second_factor(
    session: AsyncSession, box: SecretBox, salt: str, user: User, code: str, now: datetime
) -> str | None:
    """Spend ``code`` as a TOTP code or an unused recovery code of ``user``.

    Returns ``"totp"`` or ``"recovery_code"`` (what was spent), or ``None`` when the code is
    wrong or was already used.
    """
    step = totp_step(box, user.mfa_secret_encrypted, code, now)
    if step is not None:
        return "totp" if await claim_totp_step(session, user.id, step) else None
    if await spend_recovery_code(session, user.id, code, salt, now):
        return "recovery_code"
    return None


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
