"""Password sign-in, sessions and sign-out, each audited with the change it makes.

Sign-in fails the same way, in about the same time, for an unknown e-mail, a wrong
password and a blocked user; only a locked account says so, and it checks no password.
An attempt is counted against the account before its password is checked (see
:mod:`app.auth.lockout`); every failure writes one ``session.login_failed`` audit row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import ActorType
from app.audit.service import Actor, record
from app.auth.errors import AccountLockedError, InvalidCredentialsError, InvalidMfaCodeError
from app.auth.lockout import Lockout
from app.auth.mfa import check_second_factor
from app.auth.models import UserSession
from app.auth.passwords import Passwords
from app.auth.results import LoginOutcome, LoginResult, SessionIdentity
from app.auth.secrets import SecretBox, generate_session_token, keyed_hash
from app.db.statements import get_for_update, lock_for_change
from app.users.emails import normalise_email
from app.users.models import User

__all__ = ["LAST_SEEN_RESOLUTION", "SignIn", "normalise_email"]

LAST_SEEN_RESOLUTION = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often, so reads rarely cost a write."""


class SignIn:
    def __init__(
        self,
        sessions_factory: async_sessionmaker[AsyncSession],
        salt: str,
        clock: Callable[[], datetime],
        session_ttl: timedelta,
        lockout: Lockout,
        passwords: Passwords,
    ) -> None:
        self._sessions = sessions_factory
        self._salt = salt
        self._box = SecretBox(salt)
        self._clock = clock
        self._session_ttl = session_ttl
        self._lockout = lockout
        self._passwords = passwords

    async def login(
        self,
        email: str,
        password: str,
        totp_code: str | None,
        *,
        user_agent: str | None,
        ip: str | None,
        request_id: str | None,
    ) -> LoginResult:
        """Check the password (and the second factor when MFA is on) and open a session.

        The attempt is counted against the account before the password is checked, in
        one locked step with the lockout check, so concurrent attempts cannot exceed it.
        """
        now = self._clock()
        email = normalise_email(email)
        user, admitted = await self._claim(email, now)
        if user is None or user.password_hash is None:
            await asyncio.to_thread(self._passwords.burn, password)
            await self._failed(None, now, "invalid_credentials", ip, request_id, email=email)
            raise InvalidCredentialsError()
        if not admitted:
            assert user.locked_until is not None
            await self._failed(user.id, now, "account_locked", ip, request_id)
            raise AccountLockedError(user.locked_until)
        matches = await asyncio.to_thread(self._passwords.verify, user.password_hash, password)
        if user.blocked:
            await self._failed(user.id, now, "blocked", ip, request_id)
            raise InvalidCredentialsError()
        if not matches:
            await self._failed(user.id, now, "invalid_credentials", ip, request_id, user=user)
            raise InvalidCredentialsError()
        if user.mfa_enabled and not totp_code:
            await self._give_back(user.id, now)
            return LoginResult(LoginOutcome.MFA_REQUIRED, user.id, user.must_change_password)
        new_hash = None
        if self._passwords.needs_rehash(user.password_hash):
            new_hash = await asyncio.to_thread(self._passwords.hash, password)
        token = generate_session_token()
        try:
            async with self._sessions() as session, session.begin():
                spent = None
                if user.mfa_enabled:
                    assert totp_code is not None
                    spent = await check_second_factor(
                        session, self._box, self._salt, user, totp_code, now
                    )
                    if spent is None:
                        raise InvalidMfaCodeError()
                row = await self._open_session(session, user.id, token, now, new_hash)
                row.user_agent, row.ip = user_agent, ip
                after = {
                    "method": "password",
                    "second_factor": spent,
                    "session_id": row.id,
                    "ip": ip,
                }
                actor = Actor(ActorType.USER, user.id, request_id)
                record(session, actor, "session.login", "user", user.id, after=after)
        except InvalidMfaCodeError:
            await self._failed(user.id, now, "invalid_mfa_code", ip, request_id, user=user)
            raise
        return LoginResult(
            LoginOutcome.SUCCESS,
            user.id,
            user.must_change_password,
            token=token,
            session_id=row.id,
            expires_at=row.expires_at,
            lifetime=self._session_ttl,
        )

    async def _claim(self, email: str, now: datetime) -> tuple[User | None, bool]:
        """The user of ``email`` and whether this attempt may check a password.

        One transaction on the row locked for update (SQLite: the write lock): a locked
        account admits nothing; otherwise the attempt is counted (a blocked user's is not).
        """
        async with self._sessions() as session, session.begin():
            await lock_for_change(session)
            query = select(User).where(User.email == email).with_for_update()
            user = (await session.exec(query)).first()
            if user is None or user.password_hash is None:
                return user, False
            if user.blocked:
                return user, True
            return user, self._lockout.claim(user, now)

    async def _give_back(self, user_id: str, now: datetime) -> None:
        """Return the attempt of a right password still waiting for its second factor."""
        async with self._sessions() as session, session.begin():
            user = await get_for_update(session, User, user_id)
            if user is not None:
                self._lockout.give_back(user, now)

    async def _failed(
        self,
        user_id: str | None,
        now: datetime,
        reason: str,
        ip: str | None,
        request_id: str | None,
        *,
        user: User | None = None,
        email: str | None = None,
    ) -> None:
        """Audit a failed sign-in; ``user`` (as its attempt was claimed) adds the count."""
        counted: dict[str, Any] = {}
        if user is not None:
            counted["failed_count"] = user.failed_login_count
            if user.locked_until is not None:
                counted["locked_until"] = user.locked_until.isoformat()
        async with self._sessions() as session, session.begin():
            await self._lockout.fail(
                session,
                user_id,
                now,
                actor=Actor(ActorType.USER, None, request_id),
                action="session.login_failed",
                counted=False,
                reason=reason,
                email=email[:320] if email is not None else None,
                ip=ip,
                **counted,
            )

    async def open_session(
        self, user_id: str, *, user_agent: str | None, ip: str | None, request_id: str | None
    ) -> LoginResult:
        """A session for a user another authority vouched for (single sign-on)."""
        now = self._clock()
        token = generate_session_token()
        async with self._sessions() as session, session.begin():
            row = await self._open_session(session, user_id, token, now, None)
            row.user_agent, row.ip, row.mfa_passed = user_agent, ip, True
            user = await session.get(User, user_id)
            actor = Actor(ActorType.USER, user_id, request_id)
            after = {"method": "sso", "session_id": row.id, "ip": ip}
            record(session, actor, "session.login", "user", user_id, after=after)
        assert user is not None
        return LoginResult(
            LoginOutcome.SUCCESS,
            user_id,
            user.must_change_password,
            token=token,
            session_id=row.id,
            expires_at=row.expires_at,
            lifetime=self._session_ttl,
        )

    async def _open_session(
        self,
        session: AsyncSession,
        user_id: str,
        token: str,
        now: datetime,
        new_hash: str | None,
    ) -> UserSession:
        user = await get_for_update(session, User, user_id)
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

    async def logout(self, token: str, *, request_id: str | None) -> None:
        """End the session of ``token`` (audited); unknown tokens are ignored."""
        token_hash = keyed_hash(token, self._salt)
        async with self._sessions() as session, session.begin():
            query = select(UserSession).where(col(UserSession.token_hash) == token_hash)
            row = (await session.exec(query)).first()
            if row is None:
                return
            await session.delete(row)
            actor = Actor(ActorType.USER, row.user_id, request_id)
            after = {"session_id": row.id}
            record(session, actor, "session.logout", "user", row.user_id, after=after)
