"""Identity of console users: accounts, password sign-in, sessions, passwords and MFA.

Sign-in fails the same way, in about the same time, for an unknown e-mail, a wrong
password and a blocked user; only a locked account says so. Session tokens and recovery
codes are returned once and stored as keyed hashes; TOTP secrets are stored encrypted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.enrollment import MfaEnrollment
from app.auth.errors import (
    AccountLockedError,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    InvalidMfaCodeError,
    UserNotFoundError,
    WeakPasswordError,
)
from app.auth.mfa import spend_recovery_code, totp_matches
from app.auth.models import UserSession
from app.auth.passwords import Passwords, check_policy, generate_password
from app.auth.results import LoginOutcome, LoginResult, SessionIdentity
from app.auth.secrets import SecretBox, generate_session_token, keyed_hash
from app.db.types import utcnow
from app.users.models import PlatformRole, User

__all__ = [
    "IdentityService",
    "LoginOutcome",
    "LoginResult",
    "SessionIdentity",
    "normalise_email",
]

LAST_SEEN_RESOLUTION = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often, so reads rarely cost a write."""


def normalise_email(email: str) -> str:
    """The stored form of an address: trimmed and lowercased."""
    return email.strip().lower()


class IdentityService:
    """Accounts, sign-in, sessions, passwords and MFA for the admin API."""

    def __init__(
        self,
        sessions_factory: async_sessionmaker[AsyncSession],
        salt: str,
        clock: Callable[[], datetime] = utcnow,
        session_ttl: timedelta = timedelta(hours=12),
        max_failures: int = 5,
        lockout: timedelta = timedelta(minutes=15),
        passwords: Passwords | None = None,
        issuer: str = "DeltaLLM",
    ) -> None:
        """``passwords`` sets the argon2 parameters; ``issuer`` names the authenticator entry."""
        self._sessions = sessions_factory
        self._salt = salt
        self._clock = clock
        self._session_ttl = session_ttl
        self._max_failures = max_failures
        self._lockout = lockout
        self._passwords = passwords or Passwords()
        self._box = SecretBox(salt)
        self._mfa = MfaEnrollment(sessions_factory, salt, clock, issuer)

    async def create_user(
        self,
        email: str,
        password: str | None,
        platform_role: PlatformRole,
        must_change_password: bool = True,
        display_name: str | None = None,
    ) -> User:
        """A new user; without a password the user can only sign in another way (SSO)."""
        email = normalise_email(email)
        local, _, domain = email.partition("@")
        if not local or not domain or len(email) > 320 or any(ch.isspace() for ch in email):
            raise InvalidEmailError()
        password_hash = None
        if password is not None:
            check_policy(password, email)
            password_hash = await asyncio.to_thread(self._passwords.hash, password)
        user = User(
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            platform_role=platform_role,
            must_change_password=must_change_password,
        )
        try:
            async with self._sessions() as session, session.begin():
                taken = await session.exec(select(User.id).where(User.email == email))
                if taken.first() is not None:
                    raise EmailTakenError(email)
                session.add(user)
        except IntegrityError:
            raise EmailTakenError(email) from None
        return user

    async def login(
        self,
        email: str,
        password: str,
        totp_code: str | None = None,
        *,
        user_agent: str | None = None,
        ip: str | None = None,
    ) -> LoginResult:
        """Check the password (and the second factor when MFA is on) and open a session."""
        now = self._clock()
        async with self._sessions() as session:
            query = select(User).where(User.email == normalise_email(email))
            user = (await session.exec(query)).first()
        if user is None or user.password_hash is None:
            await asyncio.to_thread(self._passwords.burn, password)
            raise InvalidCredentialsError()
        matches = await asyncio.to_thread(self._passwords.verify, user.password_hash, password)
        if user.blocked:
            raise InvalidCredentialsError()
        if user.locked_until is not None and user.locked_until > now:
            raise AccountLockedError(user.locked_until)
        if not matches:
            await self._record_failure(user.id, now)
            raise InvalidCredentialsError()
        if user.mfa_enabled and not totp_code:
            return LoginResult(LoginOutcome.MFA_REQUIRED, user.id, user.must_change_password)
        new_hash = None
        if self._passwords.needs_rehash(user.password_hash):
            new_hash = await asyncio.to_thread(self._passwords.hash, password)
        token = generate_session_token()
        try:
            async with self._sessions() as session, session.begin():
                if user.mfa_enabled and not await self._second_factor(
                    session, user, totp_code, now
                ):
                    raise InvalidMfaCodeError()
                row = await self._open_session(session, user.id, token, now, new_hash)
                row.user_agent, row.ip = user_agent, ip
        except InvalidMfaCodeError:
            await self._record_failure(user.id, now)
            raise
        return LoginResult(
            LoginOutcome.SUCCESS,
            user.id,
            user.must_change_password,
            token=token,
            session_id=row.id,
            expires_at=row.expires_at,
        )

    async def open_session(
        self, user_id: str, *, user_agent: str | None = None, ip: str | None = None
    ) -> LoginResult:
        """A session for a user another authority vouched for (single sign-on)."""
        now = self._clock()
        token = generate_session_token()
        async with self._sessions() as session, session.begin():
            row = await self._open_session(session, user_id, token, now, None)
            row.user_agent, row.ip, row.mfa_passed = user_agent, ip, True
            user = await session.get(User, user_id)
        assert user is not None
        return LoginResult(
            LoginOutcome.SUCCESS,
            user_id,
            user.must_change_password,
            token=token,
            session_id=row.id,
            expires_at=row.expires_at,
        )

    async def _second_factor(
        self, session: AsyncSession, user: User, code: str | None, now: datetime
    ) -> bool:
        if code is None:
            return False
        if totp_matches(self._box, user.mfa_secret_encrypted, code, now):
            return True
        return await spend_recovery_code(session, user.id, code, self._salt, now)

    async def _record_failure(self, user_id: str, now: datetime) -> None:
        """Count a failed sign-in; lock the account after ``max_failures`` in a row."""
        async with self._sessions() as session, session.begin():
            user = await session.get(User, user_id, with_for_update=True)
            if user is None:
                return
            if user.locked_until is not None and user.locked_until <= now:
                user.failed_login_count, user.locked_until = 0, None
            user.failed_login_count += 1
            if user.failed_login_count >= self._max_failures:
                user.locked_until = now + self._lockout

    async def _open_session(
        self,
        session: AsyncSession,
        user_id: str,
        token: str,
        now: datetime,
        new_hash: str | None,
    ) -> UserSession:
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise InvalidCredentialsError()
        user.failed_login_count, user.locked_until, user.last_login_at = 0, None, now
        if new_hash is not None:
            user.password_hash = new_hash
        await session.exec(
            delete(UserSession)
            .where(col(UserSession.user_id) == user_id)
            .where(col(UserSession.expires_at) <= now)
        )
        row = UserSession(
            user_id=user_id,
            token_hash=keyed_hash(token, self._salt),
            created_at=now,
            last_seen_at=now,
            expires_at=now + self._session_ttl,
            mfa_passed=user.mfa_enabled,
        )
        session.add(row)
        return row

    async def authenticate_session(self, token: str) -> SessionIdentity | None:
        """The identity behind a session token; ``None`` if unknown, expired or blocked."""
        now = self._clock()
        query = (
            select(UserSession, User)
            .join(User, col(User.id) == col(UserSession.user_id))
            .where(col(UserSession.token_hash) == keyed_hash(token, self._salt))
        )
        async with self._sessions() as session:
            found = (await session.exec(query)).first()
            if found is None:
                return None
            row, user = found
            if row.expires_at <= now or user.blocked:
                return None
            if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
                row.last_seen_at = now
                await session.commit()
        return SessionIdentity(
            user_id=user.id,
            email=user.email,
            platform_role=user.platform_role,
            must_change_password=user.must_change_password,
            session_id=row.id,
            mfa_passed=row.mfa_passed,
            expires_at=row.expires_at,
        )

    async def logout(self, token: str) -> None:
        """End the session of ``token``; unknown tokens are ignored."""
        token_hash = keyed_hash(token, self._salt)
        async with self._sessions() as session, session.begin():
            await session.exec(delete(UserSession).where(col(UserSession.token_hash) == token_hash))

    async def change_password(
        self, user_id: str, current: str, new: str, *, keep_session_id: str | None = None
    ) -> None:
        """Replace the password; every session but ``keep_session_id`` is signed out."""
        user = await self._user(user_id)
        hashed = user.password_hash
        if hashed is None:
            await asyncio.to_thread(self._passwords.burn, current)
            raise InvalidCredentialsError("the current password is wrong")
        if not await asyncio.to_thread(self._passwords.verify, hashed, current):
            raise InvalidCredentialsError("the current password is wrong")
        check_policy(new, user.email)
        if new == current:
            raise WeakPasswordError("the new password must differ from the current one")
        await self._set_password(user_id, new, must_change=False, keep_session_id=keep_session_id)

    async def reset_password(self, user_id: str) -> str:
        """An admin reset: a temporary password (returned once), all sessions signed out."""
        await self._user(user_id)
        temporary = generate_password()
        await self._set_password(user_id, temporary, must_change=True, keep_session_id=None)
        return temporary

    async def _set_password(
        self, user_id: str, password: str, *, must_change: bool, keep_session_id: str | None
    ) -> None:
        password_hash = await asyncio.to_thread(self._passwords.hash, password)
        async with self._sessions() as session, session.begin():
            user = await session.get(User, user_id, with_for_update=True)
            if user is None:
                raise UserNotFoundError(user_id)
            user.password_hash = password_hash
            user.must_change_password = must_change
            user.failed_login_count, user.locked_until = 0, None
            revoke = delete(UserSession).where(col(UserSession.user_id) == user_id)
            if keep_session_id is not None:
                revoke = revoke.where(col(UserSession.id) != keep_session_id)
            await session.exec(revoke)

    async def start_mfa_enrollment(self, user_id: str) -> tuple[str, str]:
        """``(otpauth URI, base32 secret)`` to show once, as a QR code and as text."""
        return await self._mfa.start(user_id)

    async def confirm_mfa_enrollment(self, user_id: str, code: str) -> list[str]:
        """Enable MFA with a first TOTP code; returns the 10 recovery codes, once."""
        return await self._mfa.confirm(user_id, code)

    async def disable_mfa(self, user_id: str, code: str) -> None:
        """Disable MFA, proven by a TOTP code or an unused recovery code."""
        await self._mfa.disable(user_id, code)

    async def _user(self, user_id: str) -> User:
        async with self._sessions() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        return user
