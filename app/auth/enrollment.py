"""Turning TOTP MFA on and off for a user.

Enrollment has two steps: :meth:`MfaEnrollment.start` stores a new secret (encrypted) and
returns it for the authenticator app; :meth:`MfaEnrollment.confirm` enables MFA once the
user proves the app works, and hands out the recovery codes once. The user turns MFA off
with a current code (:meth:`MfaEnrollment.disable`); an administrator can turn it off for
someone who lost their device (:meth:`MfaEnrollment.reset`). Each change is audited in
its own transaction; every TOTP code it accepts is spent (see :mod:`app.auth.mfa`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pyotp
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import Actor, record
from app.auth.errors import (
    AccountLockedError,
    InvalidMfaCodeError,
    MfaStateError,
    UserNotFoundError,
)
from app.auth.lockout import Lockout
from app.auth.mfa import (
    check_second_factor,
    claim_totp_step,
    forget_recovery_codes,
    issue_recovery_codes,
    totp_step,
)
from app.auth.models import UserSession
from app.auth.principal import Principal
from app.auth.secrets import SecretBox
from app.db.statements import get_for_update
from app.users.models import User

__all__ = ["MfaEnrollment"]


async def load_for_update(session: AsyncSession, user_id: str) -> User:
    """The user row, locked for this transaction."""
    user = await get_for_update(session, User, user_id)
    if user is None:
        raise UserNotFoundError(user_id)
    return user


class MfaEnrollment:
    def __init__(
        self,
        sessions_factory: async_sessionmaker[AsyncSession],
        salt: str,
        clock: Callable[[], datetime],
        issuer: str,
        lockout: Lockout,
    ) -> None:
        self._sessions = sessions_factory
        self._salt = salt
        self._box = SecretBox(salt)
        self._clock = clock
        self._issuer = issuer
        self._lockout = lockout

    async def start(self, user_id: str, actor: Actor) -> tuple[str, str]:
        """``(otpauth URI, base32 secret)`` for a new secret; replaces an unconfirmed one."""
        secret = pyotp.random_base32()
        async with self._sessions() as session, session.begin():
            user = await load_for_update(session, user_id)
            if user.mfa_enabled:
                raise MfaStateError(
                    "MFA is already enabled: disable it first", code="mfa_already_enabled"
                )
            user.mfa_secret_encrypted = self._box.encrypt(secret)
            user.totp_last_step = None
            email = user.email
            record(session, actor, "user.start_mfa_enrollment", "user", user.id)
        uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=self._issuer)
        return uri, secret

    async def confirm(
        self, user_id: str, code: str, actor: Actor, session_id: str | None = None
    ) -> list[str]:
        """Enable MFA if ``code`` matches the pending secret; returns the recovery codes.

        The session ``session_id`` (where the user typed the code) counts as MFA-verified.
        """
        async with self._sessions() as session, session.begin():
            user = await load_for_update(session, user_id)
            if user.mfa_enabled:
                raise MfaStateError("MFA is already enabled", code="mfa_already_enabled")
            if user.mfa_secret_encrypted is None:
                raise MfaStateError("start the MFA enrollment first", code="mfa_not_started")
            step = totp_step(self._box, user.mfa_secret_encrypted, code, self._clock())
            if step is None or not await claim_totp_step(session, user.id, step):
                raise InvalidMfaCodeError()
            user.mfa_enabled = True
            if session_id is not None:
                await session.exec(
                    update(UserSession)
                    .where(col(UserSession.id) == session_id)
                    .where(col(UserSession.user_id) == user.id)
                    .values(mfa_passed=True)
                )
            record(session, actor, "user.enable_mfa", "user", user.id)
            return await issue_recovery_codes(session, user.id, self._salt)

    async def disable(self, user_id: str, code: str, actor: Actor) -> User:
        """Disable MFA, proven by a TOTP or an unused recovery code; forgets the secret.

        A wrong code counts as a failed sign-in (too many lock the account).
        """
        now = self._clock()
        async with self._sessions() as session, session.begin():
            user = await load_for_update(session, user_id)
            if not user.mfa_enabled:
                raise MfaStateError("MFA is not enabled", code="mfa_not_enabled")
            if self._lockout.is_locked(user, now):
                assert user.locked_until is not None
                raise AccountLockedError(user.locked_until)
            spent = await check_second_factor(session, self._box, self._salt, user, code, now)
            if spent is not None:
                await self._turn_off(session, user)
                record(session, actor, "user.disable_mfa", "user", user.id, after={"with": spent})
            else:  # counted under the same lock as the check: no concurrent extra guesses
                await self._lockout.fail(
                    session,
                    user_id,
                    now,
                    actor=actor,
                    action="user.disable_mfa_failed",
                    counted=True,
                    reason="invalid_mfa_code",
                )
        if spent is None:
            raise InvalidMfaCodeError()
        return user

    async def reset(self, user_id: str, by: Principal) -> User:
        """An administrator turns MFA off for someone else (not above their own role)."""
        async with self._sessions() as session, session.begin():
            user = await load_for_update(session, user_id)
            by.require_authority_over(user.id, user.platform_role, "reset the MFA of")
            was_enabled = user.mfa_enabled
            await self._turn_off(session, user)
            record(
                session,
                by.actor(),
                "user.reset_mfa",
                "user",
                user.id,
                before={"mfa_enabled": was_enabled},
                after={"mfa_enabled": False},
            )
        return user

    @staticmethod
    async def _turn_off(session: AsyncSession, user: User) -> None:
        """No MFA, no secret, no recovery codes; no session of the user counts as verified."""
        user.mfa_enabled = False
        user.mfa_secret_encrypted = None
        user.totp_last_step = None
        await forget_recovery_codes(session, user.id)
        await session.exec(
            update(UserSession).where(col(UserSession.user_id) == user.id).values(mfa_passed=False)
        )
