"""The identity service on a real, migrated database (SQLite, or PostgreSQL when set)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select, update

from app.auth.errors import (
    AccountLockedError,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    InvalidMfaCodeError,
    MfaStateError,
    UserNotFoundError,
    WeakPasswordError,
)
from app.auth.models import RecoveryCode, UserSession
from app.auth.passwords import Passwords
from app.auth.secrets import keyed_hash
from app.auth.service import IdentityService, LoginOutcome
from app.db import AsyncSession
from app.users.models import PlatformRole, User
from tests.support.clock import Clock

Sessions = async_sessionmaker[AsyncSession]

SALT = "test-salt-key"
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery"
MAX_FAILURES = 3
LOCKOUT = timedelta(minutes=15)
TTL = timedelta(hours=12)
STEP = timedelta(seconds=30)


class SpyPasswords(Passwords):
    """Cheap argon2 parameters, and a record of which checks ran."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        super().__init__(hasher or PasswordHasher.from_parameters(CHEAPEST))
        self.burned: list[str] = []
        self.verified: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password)
        return super().verify(password_hash, password)

    def burn(self, password: str) -> None:
        self.burned.append(password)
        super().burn(password)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def passwords() -> SpyPasswords:
    return SpyPasswords()


@pytest.fixture
def identity(sessions: Sessions, clock: Clock, passwords: SpyPasswords) -> IdentityService:
    return IdentityService(
        sessions,
        SALT,
        clock=clock,
        session_ttl=TTL,
        max_failures=MAX_FAILURES,
        lockout=LOCKOUT,
        passwords=passwords,
    )


async def _user(identity: IdentityService, **kwargs: Any) -> User:
    return await identity.create_user(EMAIL, PASSWORD, PlatformRole.PLATFORM_ADMIN, **kwargs)


async def _load(sessions: Sessions, user_id: str) -> User:
    async with sessions() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


async def _rows(sessions: Sessions, model: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.exec(select(model))).all())


async def _set(sessions: Sessions, user_id: str, **values: Any) -> None:
    async with sessions() as session:
        await session.exec(update(User).where(col(User.id) == user_id).values(**values))
        await session.commit()


def _wrong_code(totp: pyotp.TOTP, now: datetime) -> str:
    """A six-digit code that is not valid one step around ``now``."""
    valid = {totp.at(now + timedelta(seconds=step)) for step in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


async def test_create_user_normalises_email_and_refuses_duplicates(
    identity: IdentityService, sessions: Sessions
) -> None:
    user = await identity.create_user(" Ada@Example.COM ", PASSWORD, PlatformRole.ORG_USER)
    stored = await _load(sessions, user.id)
    assert stored.email == EMAIL
    assert stored.must_change_password is True
    assert stored.password_hash is not None and stored.password_hash.startswith("$argon2id$")
    with pytest.raises(EmailTakenError) as taken:
        await identity.create_user("ADA@example.com", PASSWORD, PlatformRole.ORG_USER)
    assert (taken.value.code, taken.value.status_code) == ("email_taken", 409)
    with pytest.raises(WeakPasswordError):
        await identity.create_user("bob@example.com", "short", PlatformRole.ORG_USER)
    with pytest.raises(InvalidEmailError):
        await identity.create_user("not-an-address", PASSWORD, PlatformRole.ORG_USER)
    sso = await identity.create_user("sso@example.com", None, PlatformRole.ORG_USER)
    assert (await _load(sessions, sso.id)).password_hash is None


async def test_login_opens_a_session_and_returns_the_token_once(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user = await _user(identity)
    result = await identity.login("ADA@example.com", PASSWORD, user_agent="pytest", ip="::1")
    assert result.outcome is LoginOutcome.SUCCESS and not result.mfa_required
    assert result.token is not None and result.must_change_password is True
    assert result.expires_at == clock.now + TTL
    [row] = await _rows(sessions, UserSession)
    assert row.id == result.session_id and row.user_id == user.id
    assert row.token_hash == keyed_hash(result.token, SALT)
    assert result.token not in repr(row.model_dump())
    assert (row.user_agent, row.ip, row.mfa_passed) == ("pytest", "::1", False)
    assert (await _load(sessions, user.id)).last_login_at == clock.now


async def test_failures_look_the_same_and_unknown_emails_burn_a_verification(
    identity: IdentityService, sessions: Sessions, passwords: SpyPasswords
) -> None:
    user = await _user(identity)
    failures = []
    for email, password in (("nobody@example.com", "guess-1"), (EMAIL, "guess-2")):
        with pytest.raises(InvalidCredentialsError) as raised:
            await identity.login(email, password)
        failures.append(raised.value)
    await _set(sessions, user.id, blocked=True)
    with pytest.raises(InvalidCredentialsError) as blocked:
        await identity.login(EMAIL, PASSWORD)
    failures.append(blocked.value)
    assert {(e.code, e.status_code, e.message) for e in failures} == {
        ("invalid_credentials", 401, "invalid e-mail or password")
    }
    assert passwords.burned == ["guess-1"]
    assert "guess-2" in passwords.verified and PASSWORD in passwords.verified
    assert not await _rows(sessions, UserSession)


async def test_lockout_after_failures_until_the_window_ends(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user = await _user(identity)
    for _ in range(MAX_FAILURES):
        with pytest.raises(InvalidCredentialsError):
            await identity.login(EMAIL, "wrong password!")
    locked = await _load(sessions, user.id)
    assert locked.failed_login_count == MAX_FAILURES
    assert locked.locked_until == clock.now + LOCKOUT
    with pytest.raises(AccountLockedError) as raised:
        await identity.login(EMAIL, PASSWORD)
    assert (raised.value.code, raised.value.status_code) == ("account_locked", 401)
    clock.advance(LOCKOUT - timedelta(seconds=1))
    with pytest.raises(AccountLockedError):
        await identity.login(EMAIL, PASSWORD)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(InvalidCredentialsError):  # a fresh count after the window: no relock
        await identity.login(EMAIL, "wrong password!")
    assert (await _load(sessions, user.id)).failed_login_count == 1
    assert (await identity.login(EMAIL, PASSWORD)).token is not None
    unlocked = await _load(sessions, user.id)
    assert (unlocked.failed_login_count, unlocked.locked_until) == (0, None)


async def test_success_resets_the_failure_count(
    identity: IdentityService, sessions: Sessions
) -> None:
    user = await _user(identity)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(InvalidCredentialsError):
            await identity.login(EMAIL, "wrong password!")
    await identity.login(EMAIL, PASSWORD)
    assert (await _load(sessions, user.id)).failed_login_count == 0
    with pytest.raises(InvalidCredentialsError):
        await identity.login(EMAIL, "wrong password!")
    assert (await _load(sessions, user.id)).locked_until is None


async def test_authenticate_session_expiry_and_logout(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user = await _user(identity, must_change_password=False)
    token = (await identity.login(EMAIL, PASSWORD)).token
    assert token is not None
    started = clock.now
    found = await identity.authenticate_session(token)
    assert found is not None
    assert (found.user_id, found.email, found.platform_role) == (
        user.id,
        EMAIL,
        PlatformRole.PLATFORM_ADMIN,
    )
    assert found.must_change_password is False
    clock.advance(timedelta(seconds=59))
    await identity.authenticate_session(token)
    assert (await _rows(sessions, UserSession))[0].last_seen_at == started
    clock.advance(timedelta(seconds=1))
    await identity.authenticate_session(token)
    assert (await _rows(sessions, UserSession))[0].last_seen_at == clock.now
    assert await identity.authenticate_session("not-a-token") is None
    await _set(sessions, user.id, blocked=True)
    assert await identity.authenticate_session(token) is None
    await _set(sessions, user.id, blocked=False)
    clock.advance(TTL)
    assert await identity.authenticate_session(token) is None
    clock.now = started
    assert await identity.authenticate_session(token) is not None
    await identity.logout(token)
    assert await identity.authenticate_session(token) is None
    assert not await _rows(sessions, UserSession)
    await identity.logout(token)  # twice is harmless


async def test_change_password_revokes_the_other_sessions(
    identity: IdentityService, sessions: Sessions
) -> None:
    user = await _user(identity)
    here = await identity.login(EMAIL, PASSWORD)
    elsewhere = await identity.login(EMAIL, PASSWORD)
    assert here.token and elsewhere.token and here.must_change_password
    with pytest.raises(InvalidCredentialsError):
        await identity.change_password(user.id, "not the password", "a brand new password")
    with pytest.raises(WeakPasswordError):
        await identity.change_password(user.id, PASSWORD, "short")
    with pytest.raises(WeakPasswordError, match="differ"):
        await identity.change_password(user.id, PASSWORD, PASSWORD)
    await identity.change_password(
        user.id, PASSWORD, "a brand new password", keep_session_id=here.session_id
    )
    kept = await identity.authenticate_session(here.token)
    assert kept is not None and kept.must_change_password is False
    assert await identity.authenticate_session(elsewhere.token) is None
    with pytest.raises(InvalidCredentialsError):
        await identity.login(EMAIL, PASSWORD)
    assert (await identity.login(EMAIL, "a brand new password")).must_change_password is False


async def test_reset_password_forces_a_change_and_signs_out_everywhere(
    identity: IdentityService, sessions: Sessions
) -> None:
    user = await _user(identity, must_change_password=False)
    token = (await identity.login(EMAIL, PASSWORD)).token
    assert token is not None
    for _ in range(MAX_FAILURES):
        with pytest.raises(InvalidCredentialsError):
            await identity.login(EMAIL, "wrong password!")
    temporary = await identity.reset_password(user.id)
    assert await identity.authenticate_session(token) is None
    stored = await _load(sessions, user.id)
    assert stored.must_change_password is True and stored.locked_until is None
    assert stored.password_hash is not None and temporary not in stored.password_hash
    result = await identity.login(EMAIL, temporary)
    assert result.must_change_password is True
    with pytest.raises(UserNotFoundError):
        await identity.reset_password("no-such-user")


async def test_rehash_on_login_when_parameters_change(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user = await _user(identity)
    stronger = SpyPasswords(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    upgraded = IdentityService(sessions, SALT, clock=clock, passwords=stronger)
    await upgraded.login(EMAIL, PASSWORD)
    password_hash = (await _load(sessions, user.id)).password_hash
    assert password_hash is not None and not stronger.needs_rehash(password_hash)
    assert stronger.verify(password_hash, PASSWORD)


async def test_mfa_enrollment_login_recovery_and_disable(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user = await _user(identity)
    uri, secret = await identity.start_mfa_enrollment(user.id)
    assert uri.startswith("otpauth://totp/") and "DeltaLLM" in uri and "ada%40example.com" in uri
    stored = (await _load(sessions, user.id)).mfa_secret_encrypted
    assert stored is not None and secret not in stored
    totp = pyotp.TOTP(secret)
    with pytest.raises(InvalidMfaCodeError):
        await identity.confirm_mfa_enrollment(user.id, _wrong_code(totp, clock.now))
    codes = await identity.confirm_mfa_enrollment(user.id, totp.at(clock.now))
    assert len(codes) == len(set(codes)) == 10
    hashes = {row.code_hash for row in await _rows(sessions, RecoveryCode)}
    assert hashes == {keyed_hash(code, SALT) for code in codes}
    assert not hashes & set(codes)

    needs_code = await identity.login(EMAIL, PASSWORD)
    assert needs_code.outcome is LoginOutcome.MFA_REQUIRED and needs_code.mfa_required
    assert needs_code.token is None and not await _rows(sessions, UserSession)
    with pytest.raises(InvalidMfaCodeError) as wrong:
        await identity.login(EMAIL, PASSWORD, _wrong_code(totp, clock.now))
    assert (wrong.value.code, wrong.value.status_code) == ("invalid_mfa_code", 401)
    assert (await _load(sessions, user.id)).failed_login_count == 1

    clock.advance(STEP)  # the enrollment code was spent: the next step's code
    with_totp = await identity.login(EMAIL, PASSWORD, totp.at(clock.now))
    assert with_totp.token is not None
    session = await identity.authenticate_session(with_totp.token)
    assert session is not None and session.mfa_passed
    with_code = await identity.login(EMAIL, PASSWORD, codes[0].upper().replace("-", " "))
    assert with_code.token is not None
    with pytest.raises(InvalidMfaCodeError):
        await identity.login(EMAIL, PASSWORD, codes[0])
    used = [row for row in await _rows(sessions, RecoveryCode) if row.used_at is not None]
    assert [row.code_hash for row in used] == [keyed_hash(codes[0], SALT)]

    with pytest.raises(InvalidMfaCodeError):
        await identity.disable_mfa(user.id, codes[0])
    clock.advance(STEP)
    await identity.disable_mfa(user.id, totp.at(clock.now))
    plain = await identity.login(EMAIL, PASSWORD)
    assert plain.outcome is LoginOutcome.SUCCESS and plain.token is not None
    disabled = await _load(sessions, user.id)
    assert (disabled.mfa_enabled, disabled.mfa_secret_encrypted) == (False, None)
    assert not await _rows(sessions, RecoveryCode)


async def test_mfa_disable_with_a_recovery_code(identity: IdentityService) -> None:
    user = await _user(identity)
    _, secret = await identity.start_mfa_enrollment(user.id)
    codes = await identity.confirm_mfa_enrollment(user.id, pyotp.TOTP(secret).now())
    await identity.disable_mfa(user.id, codes[-1])
    assert not (await identity.login(EMAIL, PASSWORD)).mfa_required


async def test_mfa_state_errors(identity: IdentityService, clock: Clock) -> None:
    user = await _user(identity)
    with pytest.raises(MfaStateError) as not_started:
        await identity.confirm_mfa_enrollment(user.id, "123456")
    assert not_started.value.code == "mfa_not_started"
    with pytest.raises(MfaStateError) as not_enabled:
        await identity.disable_mfa(user.id, "123456")
    assert not_enabled.value.code == "mfa_not_enabled"
    _, first = await identity.start_mfa_enrollment(user.id)
    _, second = await identity.start_mfa_enrollment(user.id)  # restarting replaces the secret
    with pytest.raises(InvalidMfaCodeError):
        await identity.confirm_mfa_enrollment(user.id, pyotp.TOTP(first).at(clock.now))
    await identity.confirm_mfa_enrollment(user.id, pyotp.TOTP(second).at(clock.now))
    with pytest.raises(MfaStateError) as enabled:
        await identity.start_mfa_enrollment(user.id)
    assert enabled.value.code == "mfa_already_enabled"
    with pytest.raises(UserNotFoundError):
        await identity.start_mfa_enrollment("no-such-user")


async def test_sessions_and_codes_go_with_their_user(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user = await _user(identity)
    _, secret = await identity.start_mfa_enrollment(user.id)
    await identity.confirm_mfa_enrollment(user.id, pyotp.TOTP(secret).at(clock.now))
    clock.advance(STEP)
    await identity.login(EMAIL, PASSWORD, pyotp.TOTP(secret).at(clock.now))
    async with sessions() as session:
        await session.delete(await session.get(User, user.id))
        await session.commit()
    assert not await _rows(sessions, UserSession)
    assert not await _rows(sessions, RecoveryCode)


async def test_a_right_password_waiting_for_its_code_counts_no_failure(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    """Attempts are counted before the password check; a right one that still needs its
    second factor is given back, so it neither counts nor locks."""
    user = await _user(identity)
    _, secret = await identity.start_mfa_enrollment(user.id)
    await identity.confirm_mfa_enrollment(user.id, pyotp.TOTP(secret).at(clock.now))
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(InvalidCredentialsError):
            await identity.login(EMAIL, "wrong password!")
    for _ in range(MAX_FAILURES):
        assert (await identity.login(EMAIL, PASSWORD)).mfa_required
    stored = await _load(sessions, user.id)
    assert (stored.failed_login_count, stored.locked_until) == (MAX_FAILURES - 1, None)
    with pytest.raises(InvalidCredentialsError):  # the limit's last failure locks
        await identity.login(EMAIL, "wrong password!")
    with pytest.raises(AccountLockedError):
        await identity.login(EMAIL, PASSWORD)
