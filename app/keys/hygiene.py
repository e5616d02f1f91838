"""Key hygiene: live keys that deserve a look, and why.

A key is flagged when it has been idle (unused) for a while, never expires, may use every
model (neither it nor its team or organization lists any), belongs to a blocked owner, or
spends at a rate that exhausts its budget before the budget resets. Revoked and expired
keys are left out: they can no longer be used.

The first four are decided in SQL; the burn rate needs each budget's period window, so
SQL narrows the keys to those spending this period and Python decides (the average rate
since the period began, projected to its end). ``last_used_at`` is kept by the spend
writer, off the request path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import String, and_, cast, exists, false, or_
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.pagination import MAX_PAGE, Page, paginate
from app.db.types import utcnow
from app.errors import BadRequestError
from app.keys.models import VirtualKey
from app.limits.periods import parse_duration
from app.orgs.models import Organization, Team
from app.users.models import User

__all__ = ["HygieneFinding", "KeyHygiene", "KeyIssue"]


class KeyIssue(StrEnum):
    IDLE = "idle"
    NO_EXPIRY = "no_expiry"
    ALL_MODELS = "all_models"
    OWNER_BLOCKED = "owner_blocked"
    BUDGET_BURN = "budget_burn"


@dataclass(frozen=True, slots=True)
class HygieneFinding:
    """A flagged key. ``last_active`` is its last use, or its creation if never used;
    ``projected_spend`` and ``exhausts_at`` come with ``BUDGET_BURN``."""

    key: VirtualKey
    issues: tuple[KeyIssue, ...]
    last_active: datetime
    blocked_owners: tuple[str, ...] = ()
    projected_spend: Decimal | None = None
    exhausts_at: datetime | None = None


def _every_model(models: Any) -> Any:
    """A JSON model list that allows every model: empty, or holding ``*``."""
    text = cast(models, String)
    return or_(text == "[]", text.contains('"*"'))


def _owner_blocked() -> dict[str, Any]:
    key = VirtualKey
    return {
        "user": exists().where(col(User.id) == key.user_id, col(User.blocked)),
        "team": exists().where(col(Team.id) == key.team_id, col(Team.blocked)),
        "organization": exists().where(
            col(Organization.id) == key.org_id, col(Organization.blocked)
        ),
    }


def _all_models() -> Any:
    key = VirtualKey
    narrowed_by_team = exists().where(col(Team.id) == key.team_id, ~_every_model(Team.models))
    narrowed_by_org = exists().where(
        col(Organization.id) == key.org_id, ~_every_model(Organization.models)
    )
    return and_(_every_model(key.models), ~narrowed_by_team, ~narrowed_by_org)


class KeyHygiene:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.clock = clock

    def _conditions(self, now: datetime, idle_days: int) -> dict[KeyIssue, Any]:
        cutoff = now - timedelta(days=idle_days)
        key = VirtualKey
        last_used = col(key.last_used_at)
        return {
            KeyIssue.IDLE: or_(
                and_(last_used.is_(None), col(key.created_at) < cutoff), last_used < cutoff
            ),
            KeyIssue.NO_EXPIRY: col(key.expires_at).is_(None),
            KeyIssue.ALL_MODELS: _all_models(),
            KeyIssue.OWNER_BLOCKED: or_(*_owner_blocked().values()),
            # Candidates only: spending this period against a budget that resets.
            KeyIssue.BUDGET_BURN: and_(
                col(key.max_budget).is_not(None),
                col(key.budget_duration).is_not(None),
                col(key.spend) > 0,
                col(key.budget_reset_at) > now,
            ),
        }

    async def page(
        self,
        *,
        org_ids: frozenset[str] | None,
        org_id: str | None = None,
        issues: frozenset[KeyIssue] | None = None,
        idle_days: int = 30,
        first: int = 50,
        after: str | None = None,
        count: bool = False,
    ) -> Page[HygieneFinding]:
        """Flagged keys inside ``org_ids`` (all when None), oldest first, one page; only
        keys with one of ``issues`` when given (each finding still lists all of its own)."""
        if not 1 <= idle_days <= 3650:
            raise BadRequestError("must be between 1 and 3650", param="idle_days")
        if not 1 <= first <= MAX_PAGE:
            raise BadRequestError(f"`first` must be between 1 and {MAX_PAGE}.", param="first")
        now = self.clock()
        conditions = self._conditions(now, idle_days)
        wanted = issues or frozenset(KeyIssue)
        query = select(VirtualKey).where(
            col(VirtualKey.revoked_at).is_(None),
            or_(col(VirtualKey.expires_at).is_(None), col(VirtualKey.expires_at) > now),
            or_(false(), *(conditions[i] for i in KeyIssue if i in wanted)),
        )
        if org_ids is not None:
            query = query.where(col(VirtualKey.org_id).in_(org_ids))
        if org_id is not None:
            query = query.where(VirtualKey.org_id == org_id)
        async with self._sessions() as session:
            found, cursors, more = await self._scan(
                session, query, conditions, now, wanted, first, after
            )
            total = None
            if count and after is None and not more:
                total = len(found)  # this page holds them all
            elif count:  # an admin report: counting means reading every candidate
                every = await self._scan(session, query, conditions, now, wanted, None, None)
                total = len(every[0])
        return Page(items=found, total=total, has_next=more, cursors=cursors)

    async def _scan(
        self,
        session: AsyncSession,
        query: Any,
        conditions: dict[KeyIssue, Any],
        now: datetime,
        wanted: frozenset[KeyIssue],
        first: int | None,
        after: str | None,
    ) -> tuple[list[HygieneFinding], list[str], bool]:
        """Read candidates in batches until ``first`` findings (all when None) are found."""
        found: list[HygieneFinding] = []
        cursors: list[str] = []
        while True:
            batch = await paginate(
                session, query, VirtualKey, first=MAX_PAGE, after=after, count=False
            )
            flags = await self._flags(session, conditions, [k.id for k in batch.items])
            for key, cursor in zip(batch.items, batch.cursors, strict=True):
                finding = _finding(key, flags[key.id], now)
                if finding is None or wanted.isdisjoint(finding.issues):
                    continue
                if first is not None and len(found) == first:
                    return found, cursors, True
                found.append(finding)
                cursors.append(cursor)
            if not batch.has_next:
                return found, cursors, False
            after = batch.cursors[-1]

    async def _flags(
        self, session: AsyncSession, conditions: dict[KeyIssue, Any], ids: Sequence[str]
    ) -> dict[str, tuple[set[KeyIssue], tuple[str, ...]]]:
        """Per key id: the issues SQL decides (burn: candidacy only) and blocked owners."""
        if not ids:
            return {}
        owners = _owner_blocked()
        columns = [conditions[i].label(i.value) for i in KeyIssue]
        columns += [expr.label(f"blocked_{name}") for name, expr in owners.items()]
        query = select(col(VirtualKey.id), *columns).where(col(VirtualKey.id).in_(ids))
        flags = {}
        for row in (await session.exec(query)).mappings():
            issues = {i for i in KeyIssue if row[i.value]}
            blocked = tuple(name for name in owners if row[f"blocked_{name}"])
            flags[row["id"]] = (issues, blocked)
        return flags


def _finding(
    key: VirtualKey, flags: tuple[set[KeyIssue], tuple[str, ...]], now: datetime
) -> HygieneFinding | None:
    issues, blocked = flags
    projected = exhausts = None
    if KeyIssue.BUDGET_BURN in issues:
        issues.discard(KeyIssue.BUDGET_BURN)
        burn = _burn(key, now)
        if burn is not None:
            issues.add(KeyIssue.BUDGET_BURN)
            projected, exhausts = burn
    if not issues:
        return None
    return HygieneFinding(
        key=key,
        issues=tuple(i for i in KeyIssue if i in issues),
        last_active=key.last_used_at or key.created_at,
        blocked_owners=blocked,
        projected_spend=projected,
        exhausts_at=exhausts,
    )


def _burn(key: VirtualKey, now: datetime) -> tuple[Decimal, datetime] | None:
    """(spend projected to the period's end, when the budget runs out) if it runs out
    before the period ends, at the average rate since the period began."""
    if key.max_budget is None or key.budget_duration is None:
        return None
    _, start, end = parse_duration(key.budget_duration).window(now)
    elapsed = Decimal(str((now - start).total_seconds()))
    if elapsed <= 0 or key.spend <= 0:
        return None
    rate = key.spend / elapsed  # USD per second
    length = Decimal(str((end - start).total_seconds()))
    projected = (rate * length).quantize(Decimal("0.0000000001"))
    if projected <= key.max_budget:
        return None
    left = max(Decimal(0), key.max_budget - key.spend)
    return projected, now + timedelta(seconds=float(left / rate))
