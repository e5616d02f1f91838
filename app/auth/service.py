"""Identity of console users: accounts, password sign-in, sessions, passwords and MFA.

Session tokens and recovery codes are returned once and stored as keyed hashes; TOTP
secrets are stored encrypted, and each TOTP code is accepted once. Every change is
audited in the transaction that makes it; ``actor`` (or ``by``, a principal whose rank is
checked) says who made it, and defaults to the user themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import ActorType
from app.audit.service import Actor, record
from app.auth.accounts import AccountAdmin
from app.auth.enrollment import MfaEnrollment, load_for_update
from app.auth.errors import (
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    UserNotFoundError,
    WeakPasswordError,
)
from app.auth.lockout import Lockout
from app.auth.models import UserSession
from app.auth.passwords import Passwords, check_policy, generate_password
from app.auth.principal import Principal
from app.auth.results import LoginOutcome, LoginResult, SessionIdentity
from app.auth.signin import LAST_SEEN_RESOLUTION, SignIn
from app.auth.throttle import SignInThrottle
from app.db.types import utcnow
from app.users.emails import normalise_email
from app.users.models import PlatformRole, User

__all__ = [
    "LAST_SEEN_RESOLUTION",
    "IdentityService",
    "LoginOutcome",
    "LoginResult",
    "SessionIdentity",
    "normalise_email",
]

log = logging.getLogger("deltallm.auth")

SYSTEM = Actor(ActorType.SYSTEM, None)


def _self(user_id: str, actor: Actor | None) -> Actor:
    return actor if actor is not None else Actor(ActorType.USER, user_id)


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
        throttle: SignInThrottle | None = None,
    ) -> None:
        """``passwords`` sets the argon2 parameters; ``issuer`` names the authenticator entry."""
        self._sessions = sessions_factory
        self._passwords = passwords or Passwords()
        locking = Lockout(max_failures, lockout)
        self._signin = SignIn(sessions_factory, salt, clock, session_ttl, locking, self._passwords)
        self._mfa = MfaEnrollment(sessions_factory, salt, clock, issuer, locking)
        self._accounts = AccountAdmin(sessions_factory)
        self._session_ttl = session_ttl
        self._throttle = throttle

    def client_address(self, peer: str | None, headers: Mapping[str, str]) -> str | None:
        """Who sent a request: the socket peer, or what a trusted proxy says it saw."""
        if self._throttle is None:
            return peer
        return self._throttle.address(peer, headers)

    @property
    def session_ttl(self) -> timedelta:
        """How long a session lives after sign-in (the cookie's ``Max-Age``)."""
        return self._session_ttl

    async def create_user(
        self,
        email: str,
        password: str | None,
        platform_role: PlatformRole,
        must_change_password: bool = True,
        display_name: str | None = None,
        *,
        actor: Actor = SYSTEM,
        source: str | None = None,
    ) -> User:
        """A new user; without a password the user can only sign in another way (SSO).

        ``source`` (say ``"oidc"``) is noted in the audit entry.
        """
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
        after = {"email": email, "platform_role": platform_role.value}
        if source is not None:
            after["source"] = source
        try:
            async with self._sessions() as session, session.begin():
                taken = await session.exec(select(User.id).where(User.email == email))
                if taken.first() is not None:
                    raise EmailTakenError(email)
                session.add(user)
                record(session, actor, "user.create", "user", user.id, after=after)
        except IntegrityError:
            raise EmailTakenError(email) from None
        return user

    async def ensure_first_admin(self, email: str, password: str) -> User | None:
        """Create ``email`` as platform_admin (to change the password at first sign-in)
        unless a platform_admin exists; returns the new user, else ``None``.

        Instances starting together may both try: the unique e-mail lets one win.
        """
        admins = select(User.id).where(User.platform_role == PlatformRole.PLATFORM_ADMIN)
        async with self._sessions() as session:
            if (await session.exec(admins.limit(1))).first() is not None:
                return None
        try:
            user = await self.create_user(
                email, password, PlatformRole.PLATFORM_ADMIN, source="first_admin_email"
            )
        except EmailTakenError:
            async with self._sessions() as session:
                if (await session.exec(admins.limit(1))).first() is None:
                    log.warning(
                        "general_settings.first_admin_email %s belongs to a user who is not "
                        "a platform_admin: no first admin was created",
                        normalise_email(email),
                    )
            return None
        log.info("created the first platform_admin %s from general_settings", user.email)
        return user

    async def login(
        self,
        email: str,
        password: str,
        totp_code: str | None = None,
        *,
        user_agent: str | None = None,
        ip: str | None = None,
        request_id: str | None = None,
    ) -> LoginResult:
        """Check the password (and the second factor when MFA is on) and open a session.

        With a throttle, ``ip`` (the client address) is charged one attempt first.
        """
        if self._throttle is not None:
            await self._throttle.check(ip)
        return await self._signin.login(
            email, password, totp_code, user_agent=user_agent, ip=ip, request_id=request_id
        )

    async def open_session(
        self,
        user_id: str,
        *,
        user_agent: str | None = None,
        ip: str | None = None,
        request_id: str | None = None,
    ) -> LoginResult:
        """A session for a user another authority vouched for (single sign-on)."""
        return await self._signin.open_session(
            user_id, user_agent=user_agent, ip=ip, request_id=request_id
        )

    async def authenticate_session(self, token: str) -> SessionIdentity | None:
        """The identity behind a session token; ``None`` if unknown, expired or blocked."""
        return await self._signin.authenticate_session(token)

    async def logout(self, token: str, *, request_id: str | None = None) -> None:
        """End the session of ``token``; unknown tokens are ignored."""
        await self._signin.logout(token, request_id=request_id)

    async def change_password(
        self,
        user_id: str,
        current: str,
        new: str,
        *,
        keep_session_id: str | None = None,
        actor: Actor | None = None,
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
        await self._set_password(
            user_id,
            new,
            must_change=False,
            keep_session_id=keep_session_id,
            actor=_self(user_id, actor),
            action="user.change_password",
        )

    async def reset_password(self, user_id: str, *, by: Principal | None = None) -> str:
        """An admin reset: a temporary password (returned once), all sessions signed out.

        ``by`` may not reset their own password this way, nor that of someone above them.
        """
        temporary = generate_password()
        await self._set_password(
            user_id,
            temporary,
            must_change=True,
            keep_session_id=None,
            actor=by.actor() if by is not None else SYSTEM,
            action="user.reset_password",
            by=by,
        )
        return temporary

    async def _set_password(
        self,
        user_id: str,
        password: str,
        *,
        must_change: bool,
        keep_session_id: str | None,
        actor: Actor,
        action: str,
        by: Principal | None = None,
    ) -> None:
        password_hash = await asyncio.to_thread(self._passwords.hash, password)
        async with self._sessions() as session, session.begin():
            user = await load_for_update(session, user_id)
            if by is not None:
                by.require_authority_over(user.id, user.platform_role, "reset the password of")
            user.password_hash = password_hash
            user.must_change_password = must_change
            user.failed_login_count, user.locked_until = 0, None
            revoke = delete(UserSession).where(col(UserSession.user_id) == user_id)
            if keep_session_id is not None:
                revoke = revoke.where(col(UserSession.id) != keep_session_id)
            await session.exec(revoke)
            record(session, actor, action, "user", user.id)

    async def start_mfa_enrollment(
        self, user_id: str, *, actor: Actor | None = None
    ) -> tuple[str, str]:
        """``(otpauth URI, base32 secret)`` to show once, as a QR code and as text."""
        return await self._mfa.start(user_id, _self(user_id, actor))

    async def confirm_mfa_enrollment(
        self,
        user_id: str,
        code: str,
        *,
        actor: Actor | None = None,
        session_id: str | None = None,
    ) -> list[str]:
        """Enable MFA with a first TOTP code; returns the 10 recovery codes, once."""
        return await self._mfa.confirm(user_id, code, _self(user_id, actor), session_id)

    async def disable_mfa(self, user_id: str, code: str, *, actor: Actor | None = None) -> User:
        """Disable MFA, proven by an unused TOTP code or an unused recovery code."""
        return await self._mfa.disable(user_id, code, _self(user_id, actor))

    async def reset_mfa(self, user_id: str, *, by: Principal) -> User:
        """An administrator turns MFA off for another user (not above their own role)."""
        return await self._mfa.reset(user_id, by)

    async def set_platform_role(self, user_id: str, role: PlatformRole, *, by: Principal) -> User:
        """Change a user's platform role (see :class:`~app.auth.accounts.AccountAdmin`)."""
        return await self._accounts.set_platform_role(user_id, role, by)

    async def set_blocked(self, user_id: str, blocked: bool, *, by: Principal) -> User:
        """Block or unblock a user (see :class:`~app.auth.accounts.AccountAdmin`)."""
        return await self._accounts.set_blocked(user_id, blocked, by)

    async def _user(self, user_id: str) -> User:
        async with self._sessions() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        return user
