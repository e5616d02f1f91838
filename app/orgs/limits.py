"""Budgets and limits of users and end users, set by platform admins, each change audited.

A change reaches every instance at once: a user's limits live in the cached identities of
their keys, so those keys' hashes are announced; an end user's budget and blocked flag are
cached by admission, so the end user is announced (:func:`end_user_token`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import record, snapshot
from app.auth.principal import Principal
from app.db.pagination import Page, paginate
from app.db.statements import dialect_insert, get_for_update
from app.db.types import MAX_BUDGET, new_id, utcnow
from app.errors import BadRequestError, NotFoundError, PermissionDeniedError
from app.gateway.admission import end_user_token
from app.keys.invalidation import Invalidator
from app.keys.models import VirtualKey
from app.limits.periods import parse_duration
from app.users.models import EndUser, User

__all__ = ["USER_LIMIT_FIELDS", "BudgetService", "check_limits", "spend_in_period"]

USER_LIMIT_FIELDS = (
    "max_budget",
    "soft_budget",
    "budget_duration",
    "rpm_limit",
    "tpm_limit",
    "max_parallel_requests",
)
MAX_EXTERNAL_ID = 255


def spend_in_period(
    spend: Decimal, duration: str | None, reset_at: datetime | None, now: datetime
) -> Decimal:
    """The spend of the current budget period: zero once a periodic budget has rolled over."""
    if duration and (reset_at is None or reset_at <= now):
        return Decimal(0)
    return spend


def check_limits(values: Mapping[str, Any]) -> dict[str, Any]:
    """A validated copy of budget and limit values (``budget_duration``, ``max_budget``, ...)."""
    duration = values.get("budget_duration")
    if duration is not None:
        try:
            parse_duration(duration)
        except ValueError as exc:
            raise BadRequestError(str(exc), param="budget_duration", code="invalid") from None
    for name in ("max_budget", "soft_budget"):
        value = values.get(name)
        if value is not None and not 0 <= value <= MAX_BUDGET:
            raise BadRequestError(
                f"{name} must be between 0 and {MAX_BUDGET}", param=name, code="invalid"
            )
    for name in ("rpm_limit", "tpm_limit", "max_parallel_requests"):
        value = values.get(name)
        if value is not None and value < 0:
            raise BadRequestError(f"{name} cannot be negative", param=name, code="invalid")
    if "models" in values and values["models"] is None:
        return {**values, "models": []}
    return dict(values)


def _require_admin(principal: Principal) -> None:
    if not principal.is_platform_admin:
        raise PermissionDeniedError(
            "Only platform admins set budgets of users and end users.", code="forbidden"
        )


class BudgetService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], invalidator: Invalidator
    ) -> None:
        self._sessions = sessions
        self._invalidator = invalidator

    # --- users --------------------------------------------------------------

    async def user(self, user_id: str) -> User:
        async with self._sessions() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}", param="userId")
        return user

    async def set_user_limits(
        self, principal: Principal, user_id: str, changes: Mapping[str, Any]
    ) -> User:
        """Change the named limits of a user (``None`` removes one); the rest stay."""
        _require_admin(principal)
        for name in sorted(set(changes) - set(USER_LIMIT_FIELDS)):
            raise BadRequestError(f"A user has no {name} limit.", param=name, code="invalid")
        check_limits(changes)
        async with self._sessions() as session, session.begin():
            user = await get_for_update(session, User, user_id)
            if user is None:
                raise NotFoundError(f"no user {user_id}", param="userId")
            before = snapshot(user)
            if changes.get("budget_duration", user.budget_duration) != user.budget_duration:
                user.budget_reset_at = None  # the next charge starts a period of the new length
            for name, value in changes.items():
                setattr(user, name, value)
            record(
                session,
                principal.actor(),
                "user.set_limits",
                "user",
                user.id,
                before=before,
                after=snapshot(user),
            )
            query = select(VirtualKey.key_hash, VirtualKey.previous_key_hash).where(
                VirtualKey.user_id == user_id
            )
            hashes = [h for row in (await session.exec(query)).all() for h in row if h]
        if hashes:
            await self._invalidator.publish(hashes)
        return user

    # --- end users ----------------------------------------------------------

    async def end_users(
        self, *, search: str | None, first: int, after: str | None
    ) -> Page[EndUser]:
        """End users, oldest first; ``search`` matches part of the external id, any case."""
        query = select(EndUser)
        if search:
            pattern = (
                "%"
                + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + "%"
            )
            query = query.where(func.lower(col(EndUser.external_id)).like(pattern, escape="\\"))
        async with self._sessions() as session:
            return await paginate(session, query, EndUser, first=first, after=after)

    async def set_end_user_budget(
        self,
        principal: Principal,
        external_id: str,
        max_budget: Decimal | None,
        budget_duration: str | None,
    ) -> EndUser:
        """Set (or with ``None``, remove) an end user's budget; creates the end user."""
        _require_admin(principal)
        check_limits({"max_budget": max_budget, "budget_duration": budget_duration})

        def apply(row: EndUser) -> None:
            if row.budget_duration != budget_duration:
                row.budget_reset_at = None
            row.max_budget, row.budget_duration = max_budget, budget_duration

        return await self._change_end_user(principal, external_id, "end_user.set_budget", apply)

    async def set_end_user_blocked(
        self, principal: Principal, external_id: str, blocked: bool
    ) -> EndUser:
        """Block (or unblock) an end user's requests; creates the end user."""
        _require_admin(principal)

        def apply(row: EndUser) -> None:
            row.blocked = blocked

        action = "end_user.block" if blocked else "end_user.unblock"
        return await self._change_end_user(principal, external_id, action, apply)

    async def _change_end_user(
        self,
        principal: Principal,
        external_id: str,
        action: str,
        apply: Callable[[EndUser], None],
    ) -> EndUser:
        if not external_id or len(external_id) > MAX_EXTERNAL_ID:
            raise BadRequestError(
                f"An end user id has 1 to {MAX_EXTERNAL_ID} characters.",
                param="external_id",
                code="invalid",
            )
        async with self._sessions() as session, session.begin():
            row = await _end_user(session, external_id)
            before = snapshot(row)
            apply(row)
            await session.flush()
            record(
                session,
                principal.actor(),
                action,
                "end_user",
                row.id,
                before=before,
                after=snapshot(row),
            )
        await self._invalidator.publish([end_user_token(external_id)])
        return row


async def _end_user(session: AsyncSession, external_id: str) -> EndUser:
    """The end user's row, locked; inserted first when missing (the spend writer may race)."""
    now = utcnow()
    values = {"id": new_id(), "external_id": external_id, "spend": Decimal(0), "blocked": False}
    statement = dialect_insert(session, EndUser).values(
        values | {"created_at": now, "updated_at": now}
    )
    await session.exec(statement.on_conflict_do_nothing(index_elements=["external_id"]))
    query = select(EndUser).where(EndUser.external_id == external_id).with_for_update()
    return (await session.exec(query)).one()
