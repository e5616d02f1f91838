"""TOTP codes work once, audits commit with their change, and the first admin from config.

On a real, migrated database (SQLite, or PostgreSQL when ``DELTALLM_TEST_DATABASE_URL``
is set). Audits are proven atomic by a database trigger that refuses audit rows: the
change they describe must then not happen either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select

from app.audit.models import ActorType, AuditLog
from app.auth.errors import AccountLockedError, InvalidCredentialsError, InvalidMfaCodeError
from app.auth.models import UserSession
from app.auth.passwords import Passwords
from app.auth.principal import Principal
from app.auth.service import IdentityService, LoginOutcome
from app.db import AsyncSession, create_engine, session_factory
from app.users.models import PlatformRole, User
from tests.support.clock import Clock
from tests.support.db import backend

Sessions = async_sessionmaker[AsyncSession]

SALT = "test-salt-key"
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery"
STEP = timedelta(seconds=30)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def service(sessions: Sessions, clock: Clock) -> IdentityService:
    cheap = Passwords(PasswordHasher.from_parameters(CHEAPEST))
    return IdentityService(sessions, SALT, clock=clock, max_failures=3, passwords=cheap)


@pytest.fixture
def identity(sessions: Sessions, clock: Clock) -> IdentityService:
    return service(sessions, clock)


async def _mfa_user(identity: IdentityService, clock: Clock) -> tuple[User, pyotp.TOTP]:
    """A user with MFA on; the enrollment spent the code of ``clock.now``'s step."""
    user = await identity.create_user(
        EMAIL, PASSWORD, PlatformRole.ORG_USER, must_change_password=False
    )
    _, secret = await identity.start_mfa_enrollment(user.id)
    totp = pyotp.TOTP(secret)
    await identity.confirm_mfa_enrollment(user.id, totp.at(clock.now))
    return user, totp


async def _load(sessions: Sessions, user_id: str) -> User:
    async with sessions() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


async def _audits(sessions: Sessions) -> list[AuditLog]:
    async with sessions() as session:
        query = select(AuditLog).order_by(col(AuditLog.created_at), col(AuditLog.id))
        return list((await session.exec(query)).all())


async def _count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return len((await session.exec(select(model))).all())


async def test_a_totp_code_is_accepted_once(identity: IdentityService, clock: Clock) -> None:
    user, totp = await _mfa_user(identity, clock)
    enrolled = totp.at(clock.now)
    with pytest.raises(InvalidMfaCodeError):  # the enrollment code, replayed
        await identity.login(EMAIL, PASSWORD, enrolled)
    clock.advance(STEP)
    with pytest.raises(InvalidMfaCodeError):  # still inside the drift window, still spent
        await identity.login(EMAIL, PASSWORD, enrolled)
    current = totp.at(clock.now)
    assert (await identity.login(EMAIL, PASSWORD, current)).outcome is LoginOutcome.SUCCESS
    with pytest.raises(InvalidMfaCodeError):
        await identity.login(EMAIL, PASSWORD, current)
    ahead = totp.at(clock.now + STEP)  # the next step's code (a fast phone clock) works
    assert (await identity.login(EMAIL, PASSWORD, ahead)).token is not None
    clock.advance(STEP)
    with pytest.raises(InvalidMfaCodeError):  # and then the same step is spent
        await identity.disable_mfa(user.id, totp.at(clock.now))
    clock.advance(STEP)
    await identity.disable_mfa(user.id, totp.at(clock.now))


async def test_confirming_enrollment_spends_the_code(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user, totp = await _mfa_user(identity, clock)
    step = totp.timecode(clock.now)
    assert (await _load(sessions, user.id)).totp_last_step == step
    with pytest.raises(InvalidMfaCodeError):
        await identity.disable_mfa(user.id, totp.at(clock.now))
    await identity.disable_mfa(user.id, totp.at(clock.now + STEP))
    # a new enrollment has a new secret: its steps start afresh
    _, secret = await identity.start_mfa_enrollment(user.id)
    assert (await _load(sessions, user.id)).totp_last_step is None
    await identity.confirm_mfa_enrollment(user.id, pyotp.TOTP(secret).at(clock.now))


async def test_concurrent_sign_ins_with_one_code_let_one_through(
    database_url: str, identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    """Each attempt runs on its own engine, as on separate instances.

    As many attempts as the lockout admits (3): every attempt is counted before its
    password is checked, so a fourth at once would be refused as locked.
    """
    _, totp = await _mfa_user(identity, clock)
    clock.advance(STEP)
    code = totp.at(clock.now)
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        services = [service(session_factory(e), clock) for e in engines]
        results = await asyncio.gather(
            *(s.login(EMAIL, PASSWORD, code) for s in services), return_exceptions=True
        )
    finally:
        for engine in engines:
            await engine.dispose()
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) == 1 and wins[0].token is not None
    assert [type(r) for r in losses] == [InvalidMfaCodeError] * 2
    assert await _count(sessions, UserSession) == 1


async def test_sign_ins_are_audited(
    identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user, totp = await _mfa_user(identity, clock)
    with pytest.raises(InvalidCredentialsError):
        await identity.login("nobody@example.com", "guess", ip="10.0.0.9", request_id="r1")
    with pytest.raises(InvalidCredentialsError):
        await identity.login(EMAIL, "wrong password!", ip="10.0.0.9", request_id="r2")
    with pytest.raises(InvalidMfaCodeError):  # the enrollment's code, replayed
        await identity.login(EMAIL, PASSWORD, totp.at(clock.now), request_id="r3")
    with pytest.raises(InvalidCredentialsError):  # the third failure locks the account
        await identity.login(EMAIL, "wrong password!", request_id="r4")
    locked_until = clock.now + timedelta(minutes=15)
    with pytest.raises(AccountLockedError):
        await identity.login(EMAIL, PASSWORD, request_id="r5")
    clock.advance(timedelta(minutes=15) + STEP)
    result = await identity.login(EMAIL, PASSWORD, totp.at(clock.now), ip="::1", request_id="r6")
    assert result.token is not None
    await identity.logout(result.token, request_id="r7")
    await identity.logout(result.token, request_id="r8")  # nothing ended: nothing audited

    def failed(target: str | None, request_id: str, **after: Any) -> tuple[Any, ...]:
        return (ActorType.USER, None, "session.login_failed", target, after, request_id)

    def by_user(action: str, request_id: str, **after: Any) -> tuple[Any, ...]:
        return (ActorType.USER, user.id, action, user.id, after, request_id)

    session_id = result.session_id
    assert [
        (a.actor_type, a.actor_id, a.action, a.target_id, a.after, a.request_id)
        for a in await _audits(sessions)
        if a.action.startswith("session.")
    ] == [
        failed(None, "r1", reason="invalid_credentials", email="nobody@example.com", ip="10.0.0.9"),
        failed(user.id, "r2", reason="invalid_credentials", ip="10.0.0.9", failed_count=1),
        failed(user.id, "r3", reason="invalid_mfa_code", failed_count=2),
        failed(
            user.id,
            "r4",
            reason="invalid_credentials",
            failed_count=3,
            locked_until=locked_until.isoformat(),
        ),
        failed(user.id, "r5", reason="account_locked"),
        by_user(
            "session.login",
            "r6",
            method="password",
            second_factor="totp",
            session_id=session_id,
            ip="::1",
        ),
        by_user("session.logout", "r7", session_id=session_id),
    ]


async def _refuse_audits(engine: AsyncEngine) -> None:
    """A trigger that makes every audit insert fail (as a full disk or a bug would)."""
    if backend() == "sqlite":
        statements = [
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs "
            "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
        ]
    else:
        statements = [
            "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs "
            "FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
        ]
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def test_no_change_without_its_audit(
    engine: AsyncEngine, identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    user, totp = await _mfa_user(identity, clock)
    plain = await identity.create_user(
        "bob@example.com", PASSWORD, PlatformRole.ORG_USER, must_change_password=False
    )
    token = (await identity.login("bob@example.com", PASSWORD)).token
    assert token is not None
    admin = Principal(ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN)
    await _refuse_audits(engine)
    clock.advance(STEP)
    code = totp.at(clock.now)
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: identity.login(EMAIL, PASSWORD, code),
        lambda: identity.login(EMAIL, "wrong password!"),
        lambda: identity.logout(token),
        lambda: identity.change_password(plain.id, PASSWORD, "another long password"),
        lambda: identity.disable_mfa(user.id, code),
        lambda: identity.start_mfa_enrollment(plain.id),
        lambda: identity.set_platform_role(plain.id, PlatformRole.PLATFORM_CO_ADMIN, by=admin),
        lambda: identity.set_blocked(plain.id, True, by=admin),
        lambda: identity.reset_mfa(user.id, by=admin),
        lambda: identity.reset_password(plain.id, by=admin),
    ]
    for attempt in attempts:
        with pytest.raises(DBAPIError, match="audit refused"):
            await attempt()
    stored, other = await _load(sessions, user.id), await _load(sessions, plain.id)
    # Each sign-in attempt was counted before its password was checked (the lockout holds
    # under concurrency that way), so the two whose audit failed still count: fail closed.
    assert (stored.mfa_enabled, stored.failed_login_count, stored.last_login_at) == (
        True,
        2,
        None,
    )
    assert stored.totp_last_step == totp.timecode(clock.now - STEP)
    assert (other.platform_role, other.blocked, other.mfa_secret_encrypted) == (
        PlatformRole.ORG_USER,
        False,
        None,
    )
    assert await identity.authenticate_session(token) is not None
    assert await _count(sessions, UserSession) == 1
    assert other.password_hash is not None
    assert Passwords().verify(other.password_hash, PASSWORD)


async def test_first_admin_is_created_once(
    database_url: str, identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        starts = [service(session_factory(e), clock) for e in engines]
        made = await asyncio.gather(
            *(s.ensure_first_admin("Root@Example.com", "first admin password") for s in starts)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    [admin] = [user for user in made if user is not None]
    async with sessions() as session:
        [stored] = (await session.exec(select(User))).all()
    assert (stored.id, stored.email, stored.platform_role, stored.must_change_password) == (
        admin.id,
        "root@example.com",
        PlatformRole.PLATFORM_ADMIN,
        True,
    )
    [audit] = await _audits(sessions)
    assert (audit.actor_type, audit.action, audit.target_id, audit.after) == (
        ActorType.SYSTEM,
        "user.create",
        admin.id,
        {
            "email": "root@example.com",
            "platform_role": "platform_admin",
            "source": "first_admin_email",
        },
    )
    result = await identity.login("root@example.com", "first admin password")
    assert result.must_change_password is True
    # an admin exists: later starts change nothing, whatever the config says
    assert await identity.ensure_first_admin("other@example.com", "first admin password") is None
    assert await _count(sessions, User) == 1


async def test_first_admin_never_takes_over_an_existing_account(
    identity: IdentityService, sessions: Sessions
) -> None:
    user = await identity.create_user("root@example.com", PASSWORD, PlatformRole.ORG_USER)
    assert await identity.ensure_first_admin("root@example.com", "first admin password") is None
    stored = await _load(sessions, user.id)
    assert stored.platform_role is PlatformRole.ORG_USER
    assert stored.password_hash is not None
    assert Passwords().verify(stored.password_hash, PASSWORD)


async def test_concurrent_wrong_codes_to_turn_mfa_off_stop_at_the_limit(
    database_url: str, identity: IdentityService, sessions: Sessions, clock: Clock
) -> None:
    """A wrong code is counted under the lock that checked it: 12 at once, on separate
    engines, get 3 checks (the limit) and 9 refusals as locked; MFA stays on."""
    user, totp = await _mfa_user(identity, clock)
    valid = {totp.at(clock.now + timedelta(seconds=s)) for s in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
    engines = [create_engine(database_url) for _ in range(12)]
    try:
        services = [service(session_factory(e), clock) for e in engines]
        results = await asyncio.gather(
            *(s.disable_mfa(user.id, wrong) for s in services), return_exceptions=True
        )
    finally:
        for engine in engines:
            await engine.dispose()
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["AccountLockedError"] * 9 + ["InvalidMfaCodeError"] * 3
    stored = await _load(sessions, user.id)
    assert (stored.mfa_enabled, stored.failed_login_count) == (True, 3)
