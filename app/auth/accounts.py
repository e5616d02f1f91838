"""Account administration by platform admins: platform roles and blocking.

Each rule is checked inside the change's transaction, on the row as it is then: nobody
acts on their own account here, nobody acts on someone above their own role, nobody
grants a role above their own, and the last unblocked platform_admin is neither demoted
nor blocked. The audit row commits with the change.
"""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import record
from app.auth.enrollment import load_for_update
from app.auth.models import UserSession
from app.auth.principal import Principal
from app.db.statements import lock_for_change
from app.errors import BadRequestError, PermissionDeniedError
from app.users.models import PlatformRole, User

__all__ = ["AccountAdmin", "LastAdminError"]

_ADMIN = PlatformRole.PLATFORM_ADMIN


class LastAdminError(BadRequestError):
    """The change would leave no unblocked platform_admin who can sign in."""

    default_code = "last_admin"

    def __init__(self) -> None:
        super().__init__(
            "The deployment keeps at least one unblocked platform_admin: "
            "make someone else platform_admin first.",
            param="user_id",
        )


class AccountAdmin:
    def __init__(self, sessions_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions_factory

    async def set_platform_role(self, user_id: str, role: PlatformRole, by: Principal) -> User:
        """Give ``user_id`` the platform role ``role``; the user's next request sees it."""
        if not by.outranks_or_equals(role):
            raise PermissionDeniedError("You cannot grant a role above your own.", code="forbidden")
        async with self._sessions() as session, session.begin():
            user = await _load_locked(session, user_id)
            by.require_authority_over(user.id, user.platform_role, "change the role of")
            before = user.platform_role
            if before is not role:
                if role is not _ADMIN:
                    await _require_other_admin(session, user)
                user.platform_role = role
                record(
                    session,
                    by.actor(),
                    "user.set_role",
                    "user",
                    user.id,
                    before={"platform_role": before.value},
                    after={"platform_role": role.value},
                )
        return user

    async def set_blocked(self, user_id: str, blocked: bool, by: Principal) -> User:
        """Block (or unblock) a user: blocking ends every session of the user for good.

        The sessions are deleted, not merely refused, so unblocking later brings none of
        them back: the user signs in again.
        """
        async with self._sessions() as session, session.begin():
            user = await _load_locked(session, user_id)
            by.require_authority_over(user.id, user.platform_role, "block or unblock")
            before = user.blocked
            if before is blocked:
                return user  # nothing changes, so nothing is audited
            after: dict[str, object] = {"blocked": blocked}
            if blocked:
                await _require_other_admin(session, user)
                ended = await session.exec(
                    delete(UserSession).where(col(UserSession.user_id) == user.id)
                )
                after["sessions_ended"] = ended.rowcount
            user.blocked = blocked
            record(
                session,
                by.actor(),
                "user.block" if blocked else "user.unblock",
                "user",
                user.id,
                before={"blocked": before},
                after=after,
            )
        return user


async def _load_locked(session: AsyncSession, user_id: str) -> User:
    """The user row, after locking what the last-admin rule reads.

    Every role or block change first locks all platform_admin rows in id order (one
    order for everyone, so two changes wait for each other instead of deadlocking), then
    the target's row (SQLite: the database's write lock).
    """
    await lock_for_change(session)
    admins = select(User.id).where(User.platform_role == _ADMIN).order_by(col(User.id))
    await session.exec(admins.with_for_update())
    return await load_for_update(session, user_id)


async def _require_other_admin(session: AsyncSession, user: User) -> None:
    """Refuse to demote or block ``user`` if they are the last unblocked platform_admin."""
    if user.platform_role is not _ADMIN or user.blocked:
        return
    others = select(func.count()).where(
        User.platform_role == _ADMIN, col(User.blocked).is_(False), User.id != user.id
    )
    if (await session.exec(others)).one() == 0:
        raise LastAdminError()
