"""Turning TOTP MFA on and off for a user.

Enrollment has two steps: :meth:`MfaEnrollment.start` stores a new secret (encrypted) and
returns it for the authenticator app; :meth:`MfaEnrollment.confirm` enables MFA once the
user proves the app works, and hands out the recovery codes once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pyotp
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.errors import InvalidMfaCodeError, MfaStateError, UserNotFoundError
from app.auth.mfa import (
    forget_recovery_codes,
    issue_recovery_codes,
    spend_recovery_code,
    totp_matches,
)
from app.auth.secrets import SecretBox
from app.users.models import User

__all__ = ["MfaEnrollment"]


class MfaEnrollment:
    def __init__(
        self,
        sessions_factory: async_sessionmaker[AsyncSession],
        salt: str,
        clock: Callable[[], datetime],
        issuer: str,
    ) -> None:
        self._sessions = sessions_factory
        self._salt = salt
        self._box = SecretBox(salt)
        self._clock = clock
        self._issuer = issuer

    @staticmethod
    async def _user(session: AsyncSession, user_id: str) -> User:
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise UserNotFoundError(user_id)
        return user

    async def start(self, user_id: str) -> tuple[str, str]:
        """``(otpauth URI, base32 secret)`` for a new secret; replaces an unconfirmed one."""
        secret = pyotp.random_base32()
        async with self._sessions() as session, session.begin():
            user = await self._user(session, user_id)
            if user.mfa_enabled:
                raise MfaStateError(
                    "MFA is already enabled: disable it first", code="mfa_already_enabled"
                )
            user.mfa_secret_encrypted = self._box.encrypt(secret)
            email = user.email
        uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=self._issuer)
        return uri, secret

    async def confirm(self, user_id: str, code: str) -> list[str]:
        """Enable MFA if ``code`` matches the pending secret; returns the recovery codes."""
        async with self._sessions() as session, session.begin():
            user = await self._user(session, user_id)
            if user.mfa_enabled:
                raise MfaStateError("MFA is already enabled", code="mfa_already_enabled")
            if user.mfa_secret_encrypted is None:
                raise MfaStateError("start the MFA enrollment first", code="mfa_not_started")
            if not totp_matches(self._box, user.mfa_secret_encrypted, code, self._clock()):
                raise InvalidMfaCodeError()
            user.mfa_enabled = True
            return await issue_recovery_codes(session, user.id, self._salt)

    async def disable(self, user_id: str, code: str) -> None:
        """Disable MFA, proven by a TOTP or an unused recovery code; forgets the secret."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            user = await self._user(session, user_id)
            if not user.mfa_enabled:
                raise MfaStateError("MFA is not enabled", code="mfa_not_enabled")
            if not totp_matches(self._box, user.mfa_secret_encrypted, code, now) and not (
                await spend_recovery_code(session, user.id, code, self._salt, now)
            ):
                raise InvalidMfaCodeError()
            user.mfa_enabled = False
            user.mfa_secret_encrypted = None
            await forget_recovery_codes(session, user.id)
