"""Building a key's identity snapshot from the database (on a cache miss only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.columns import BudgetColumns, LimitColumns
from app.keys.identity import Budget, KeyIdentity, ScopeLimits
from app.keys.models import KeyModelSpend, VirtualKey
from app.orgs.models import Organization, Team
from app.users.models import EndUser, User

__all__ = ["load_end_user", "load_identity"]


def _budget(row: BudgetColumns) -> Budget | None:
    if row.max_budget is None and row.soft_budget is None:
        return None
    return Budget(
        row.max_budget, row.soft_budget, row.budget_duration, row.spend, row.budget_reset_at
    )


def _level(scope: str, row: BudgetColumns, limits: LimitColumns | None) -> ScopeLimits:
    return ScopeLimits(
        scope=scope,
        rpm=limits.rpm_limit if limits else None,
        tpm=limits.tpm_limit if limits else None,
        max_parallel=limits.max_parallel_requests if limits else None,
        budget=_budget(row),
    )


async def _model_levels(session: AsyncSession, key: VirtualKey) -> dict[str, ScopeLimits]:
    models = set(key.model_max_budget) | set(key.model_rpm_limit) | set(key.model_tpm_limit)
    if not models:
        return {}
    spent = {
        row.model_group: row.spend
        for row in (
            await session.exec(select(KeyModelSpend).where(KeyModelSpend.key_id == key.id))
        ).all()
    }
    levels = {}
    for model in models:
        cap = key.model_max_budget.get(model)
        budget = (
            Budget(
                Decimal(cap),
                None,
                key.budget_duration,
                spent.get(model, Decimal(0)),
                key.budget_reset_at,
            )
            if cap is not None
            else None
        )
        levels[model] = ScopeLimits(
            scope=f"keymodel:{key.id}:{model}",
            rpm=key.model_rpm_limit.get(model),
            tpm=key.model_tpm_limit.get(model),
            budget=budget,
        )
    return levels


async def load_identity(
    sessions: async_sessionmaker[AsyncSession], key_hash: str, now: datetime
) -> KeyIdentity | None:
    """The identity of the key with this hash (current, or previous within its grace)."""
    query = select(VirtualKey).where(
        or_(
            col(VirtualKey.key_hash) == key_hash,
            and_(
                col(VirtualKey.previous_key_hash) == key_hash,
                col(VirtualKey.previous_key_expires_at) > now,
            ),
        )
    )
    async with sessions() as session:
        key = (await session.exec(query)).first()
        if key is None:
            return None
        levels = [_level(f"key:{key.id}", key, key)]
        allowed = [frozenset(key.models)]
        blocked = "key is blocked" if key.blocked else None
        owners: list[tuple[str, User | Team | Organization | None]] = [
            ("user", await session.get(User, key.user_id) if key.user_id else None),
            ("team", await session.get(Team, key.team_id) if key.team_id else None),
            ("org", await session.get(Organization, key.org_id) if key.org_id else None),
        ]
        for kind, owner in owners:
            if owner is None:
                continue
            levels.append(_level(f"{kind}:{owner.id}", owner, owner))
            if isinstance(owner, Team | Organization):
                allowed.append(frozenset(owner.models))
            if owner.blocked and blocked is None:
                blocked = f"the key's {'organization' if kind == 'org' else kind} is blocked"
        model_levels = await _model_levels(session, key)
        team = owners[1][1]
        guardrails = [*key.guardrails, *(team.guardrails if isinstance(team, Team) else ())]
    grace = key.previous_key_expires_at if key.key_hash != key_hash else None
    return KeyIdentity(
        key_id=key.id,
        key_hash=key.key_hash,
        alias=key.alias,
        user_id=key.user_id,
        team_id=key.team_id,
        org_id=key.org_id,
        levels=tuple(level for level in levels if level.limits_anything),
        allowed_models=tuple(a for a in allowed if a),
        aliases=dict(key.aliases),
        model_levels=model_levels,
        expires_at=key.expires_at,
        blocked_reason=blocked,
        revoked=key.revoked_at is not None,
        tags=tuple(key.tags),
        is_admin=key.is_admin,
        grace_expires_at=grace,
        guardrails=tuple(dict.fromkeys(guardrails)),
        allow_request_guardrails=key.allow_request_guardrails,
        allowed_cache_controls=frozenset(key.allowed_cache_controls),
    )


async def load_end_user(
    sessions: async_sessionmaker[AsyncSession], external_id: str
) -> tuple[ScopeLimits | None, bool]:
    """(budget level, blocked) of an end user; (None, False) for one never configured."""
    async with sessions() as session:
        row = (
            await session.exec(select(EndUser).where(EndUser.external_id == external_id))
        ).first()
    if row is None:
        return None, False
    level = _level(f"enduser:{row.id}", row, None)
    return (level if level.limits_anything else None), row.blocked
