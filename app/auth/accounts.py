"""Account administration by platform admins: platform roles and blocking.

Each rule is checked inside the change's transaction, on the row as it is then: nobody
acts on their own account here, nobody acts on someone above their own role, and nobody
grants a role above their own. The audit row commits with the change.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import record
from app.auth.enrollment import load_for_update
from app.auth.principal import Principal
from app.errors import PermissionDeniedError
from app.users.models import PlatformRole, User

__all__ = ["AccountAdmin"]


class AccountAdmin:
    def __init__(self, sessions_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions_factory

    async def set_platform_role(self, user_id: str, role: PlatformRole, by: Principal) -> User:
        """Give ``user_id`` the platform role ``role``; the user's next request sees it."""
        if not by.outranks_or_equals(role):
            raise PermissionDeniedError("You cannot grant a role above your own.", code="forbidden")
        async with self._sessions() as session, session.begin():
            user = await load_for_update(session, user_id)
            by.require_authority_over(user.id, user.platform_role, "change the role of")
            before = user.platform_role
            if before is not role:
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
        """Block (or unblock) a user: a blocked user's sessions stop working at once."""
        async with self._sessions() as session, session.begin():
            user = await load_for_update(session, user_id)
            by.require_authority_over(user.id, user.platform_role, "block or unblock")
            before = user.blocked
            user.blocked = blocked
            record(
                session,
                by.actor(),
                "user.block" if blocked else "user.unblock",
                "user",
                user.id,
                before={"blocked": before},
                after={"blocked": blocked},
            )
        return user
