"""Keys, users, teams and organizations that have used most of their budget."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, String, and_, cast, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.statements import table_of
from app.errors import BadRequestError
from app.keys.models import VirtualKey
from app.orgs.models import Organization, Team
from app.users.models import User

__all__ = ["MAX_NEAR_LIMIT", "BudgetKind", "BudgetUse", "budgets_near_limit"]

MAX_NEAR_LIMIT = 100
"""The most entries one call returns."""


class BudgetKind(enum.Enum):
    KEY = "KEY"
    USER = "USER"
    TEAM = "TEAM"
    ORGANIZATION = "ORGANIZATION"


@dataclass(frozen=True, slots=True)
class BudgetUse:
    """One budget and this period's spend against it (``reset_at``: when the period
    ends, None for a budget that never resets or whose period has not started)."""

    kind: BudgetKind
    id: str
    name: str
    spend: Decimal
    max_budget: Decimal
    budget_duration: str | None
    reset_at: datetime | None


def _check(threshold: float, first: int) -> None:
    if not 0 < threshold <= 10:
        raise BadRequestError("must be above 0 and at most 10", param="threshold")
    if not 1 <= first <= MAX_NEAR_LIMIT:
        raise BadRequestError(f"must be between 1 and {MAX_NEAR_LIMIT}", param="first")


def _near(model: type[Any], kind: BudgetKind, name: Any, threshold: float, now: datetime) -> Any:
    """The table's rows whose spend this period reached ``threshold`` of the budget.

    A periodic budget whose period has ended (or not started since its length changed)
    restarts at zero with the next charge (see ``app.spend.writer``): its stored spend
    belongs to a finished period and does not count."""
    t = table_of(model)
    spend, budget = cast(t.c.spend, Float), cast(t.c.max_budget, Float)
    current = or_(t.c.budget_duration.is_(None), t.c.budget_reset_at > now)
    return select(
        literal(kind.value, String).label("kind"),
        t.c.id.label("id"),
        name.label("name"),
        t.c.spend.label("spend"),
        t.c.max_budget.label("max_budget"),
        t.c.budget_duration.label("budget_duration"),
        t.c.budget_reset_at.label("reset_at"),
        (spend / budget).label("ratio"),
    ).where(and_(t.c.max_budget > 0, spend >= threshold * budget, current))


async def budgets_near_limit(
    session: AsyncSession,
    *,
    org_ids: frozenset[str] | None,
    threshold: float,
    first: int,
    now: datetime,
) -> Sequence[BudgetUse]:
    """Budgets at or above ``threshold`` of their maximum, worst ratio first (then kind
    and id), at most ``first``, in one statement. ``org_ids`` None: every key, user,
    team and organization; otherwise the live keys, teams and organizations of those
    organizations (users belong to no organization and are left out)."""
    _check(threshold, first)
    keys, teams, orgs = table_of(VirtualKey), table_of(Team), table_of(Organization)
    key_name = func.coalesce(keys.c.alias, keys.c.key_prefix + "…" + keys.c.key_suffix)
    key_part = _near(VirtualKey, BudgetKind.KEY, key_name, threshold, now)
    key_part = key_part.where(keys.c.revoked_at.is_(None))
    team_part = _near(Team, BudgetKind.TEAM, teams.c.name, threshold, now)
    org_part = _near(Organization, BudgetKind.ORGANIZATION, orgs.c.name, threshold, now)
    if org_ids is not None:
        key_part = key_part.where(keys.c.org_id.in_(org_ids))
        team_part = team_part.where(teams.c.org_id.in_(org_ids))
        org_part = org_part.where(orgs.c.id.in_(org_ids))
    parts = [key_part, team_part, org_part]
    if org_ids is None:
        users = table_of(User)
        parts.append(_near(User, BudgetKind.USER, users.c.email, threshold, now))
    near = union_all(*parts).subquery()
    query = select(near).order_by(near.c.ratio.desc(), near.c.kind, near.c.id).limit(first)
    rows = (await (await session.connection()).execute(query)).mappings().all()
    return [
        BudgetUse(
            kind=BudgetKind(r["kind"]),
            id=r["id"],
            name=r["name"],
            spend=r["spend"],
            max_budget=r["max_budget"],
            budget_duration=r["budget_duration"],
            reset_at=r["reset_at"],
        )
        for r in rows
    ]
