"""Counting failed proofs of identity, and locking the account after too many in a row.

A failed sign-in (wrong password or code) and a wrong code when turning MFA off both
count; a success resets the count. A password sign-in counts its attempt *before* the
password is checked (:meth:`Lockout.claim`, on the row locked for update), so however
many attempts run at once, no more than ``max_failures`` passwords are checked between
two lockouts; the attempt is given back if the password was right. A wrong code when
turning MFA off is counted with its audit row, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import Actor, record
from app.db.statements import get_for_update
from app.users.models import User

__all__ = ["Lockout"]


@dataclass(frozen=True, slots=True)
class Lockout:
    """``max_failures`` failures in a row lock the account for ``duration``."""

    max_failures: int = 5
    duration: timedelta = timedelta(minutes=15)

    @staticmethod
    def is_locked(user: User, now: datetime) -> bool:
        return user.locked_until is not None and user.locked_until > now

    def claim(self, user: User, now: datetime) -> bool:
        """Count an attempt on ``user`` (a row loaded for update) before its password is
        checked; ``False`` (nothing counted) if the account is locked."""
        if self.is_locked(user, now):
            return False
        self.count(user, now)
        return True

    def give_back(self, user: User, now: datetime) -> None:
        """Undo one claimed attempt whose password was right but proved nothing yet (the
        second factor is still to come); a lock that attempt set is lifted."""
        if user.failed_login_count > 0:
            user.failed_login_count -= 1
        if user.failed_login_count < self.max_failures and self.is_locked(user, now):
            user.locked_until = None

    def count(self, user: User, now: datetime) -> None:
        """Add one failure to ``user`` (a row loaded for update); lock it at the limit."""
        if user.locked_until is not None and user.locked_until <= now:
            user.failed_login_count, user.locked_until = 0, None
        user.failed_login_count += 1
        if user.failed_login_count >= self.max_failures:
            user.locked_until = now + self.duration

    async def fail(
        self,
        session: AsyncSession,
        user_id: str | None,
        now: datetime,
        *,
        actor: Actor,
        action: str,
        counted: bool,
        **details: Any,
    ) -> None:
        """Audit a failure (``details`` without ``None`` values) and, if ``counted``, count it."""
        after: dict[str, Any] = {k: v for k, v in details.items() if v is not None}
        if user_id is not None and counted:
            user = await get_for_update(session, User, user_id)
            if user is not None:
                self.count(user, now)
                after["failed_count"] = user.failed_login_count
                if user.locked_until is not None:
                    after["locked_until"] = user.locked_until.isoformat()
        record(session, actor, action, "user", user_id, after=after)
