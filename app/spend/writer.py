"""The batch writer: spend logs, daily totals and budget spend, in one transaction per batch.

Re-delivery is harmless: logs are inserted ``ON CONFLICT (request_id) DO NOTHING`` and
only the records whose log row was actually inserted add to the daily totals and budgets,
in the same transaction. A batch written twice (a crash between commit and acknowledgement)
therefore changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import and_, case, literal, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.statements import dialect_insert, table_of
from app.db.types import Money, UTCDateTime, new_id, utcnow
from app.keys.models import KeyModelSpend, VirtualKey
from app.limits.periods import BudgetPeriod, parse_duration
from app.orgs.models import Organization, Team
from app.spend.models import BudgetEntity, DailySpend, SpendLog, SpendStatus
from app.spend.records import DAILY_COUNTERS, BudgetState, SpendRecord, daily_totals
from app.users.models import EndUser, User

if TYPE_CHECKING:
    from app.spend.alerts import BudgetAlerts

__all__ = ["ROWS_PER_STATEMENT", "SpendWriter"]

log = logging.getLogger("deltallm.spend")

ROWS_PER_STATEMENT = 400
"""Rows per multi-row INSERT: under 10,000 bind parameters, well within both drivers' limits."""

LOG_ROWS_PER_EXECUTE = 128
"""Log rows bound per execute at most: binding 500 rows at once held the event loop (and
every request on it) for 5-10 ms once per batch; 128 rows take one to two milliseconds."""

_T = TypeVar("_T")
_ENTITIES: tuple[tuple[BudgetEntity, type[SQLModel], str], ...] = (
    (BudgetEntity.KEY, VirtualKey, "key_id"),
    (BudgetEntity.USER, User, "user_id"),
    (BudgetEntity.TEAM, Team, "team_id"),
    (BudgetEntity.ORG, Organization, "org_id"),
    (BudgetEntity.END_USER, EndUser, "end_user"),
)
_TICK = timedelta(microseconds=1)


def _chunks(rows: Sequence[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        yield list(rows[start : start + ROWS_PER_STATEMENT])


class SpendWriter:
    """Writes batches of spend records; see the module docstring for the guarantees."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        alerts: BudgetAlerts | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self._alerts = alerts
        self._clock = clock

    async def write(self, records: Sequence[SpendRecord]) -> int:
        """Write one batch in one transaction; returns how many logs were new."""
        # One row per request, in request-id order: concurrent writers of overlapping
        # (re-delivered) batches then lock the same log rows in the same order.
        batch = sorted({r.request_id: r for r in records}.values(), key=lambda r: r.request_id)
        if not batch:
            return 0
        now = self._clock()
        states: list[BudgetState] = []
        async with self._sessions() as session, session.begin():
            fresh = await _insert_logs(session, batch, now)
            if fresh:
                await _upsert_daily(session, fresh, now)
                states = await _charge_budgets(session, fresh, now)
        if self._alerts is not None and states:
            await self._alerts.check(states)
        return len(fresh)


def _log_row(record: SpendRecord, now: datetime) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in record.__struct_fields__}
    del row["key_model"]
    row.update(
        id=new_id(),
        status=SpendStatus(record.status),
        tags=list(record.tags),
        guardrails=list(record.guardrails),
        written_at=now,
    )
    return row


async def _insert_logs(
    session: AsyncSession, batch: Sequence[SpendRecord], now: datetime
) -> list[SpendRecord]:
    """Insert the log rows; the records whose rows were new (not seen before).

    One cached statement executed over the batch (SQLAlchemy's "insertmanyvalues"),
    so a batch costs no SQL compilation per row; executed ``LOG_ROWS_PER_EXECUTE`` rows at
    a time, so that binding the rows never holds the event loop for long.
    """
    request_id = table_of(SpendLog).c.request_id
    statement = (
        dialect_insert(session, SpendLog)
        .on_conflict_do_nothing(index_elements=["request_id"])
        .returning(request_id)
    )
    inserted: set[str] = set()
    start = 0
    for size in _pieces(len(batch)):
        rows = [_log_row(record, now) for record in batch[start : start + size]]
        start += size
        inserted.update((await session.exec(statement, params=rows)).scalars().all())
    return [record for record in batch if record.request_id in inserted]


def _pieces(count: int) -> Iterator[int]:
    """``count`` split into ``LOG_ROWS_PER_EXECUTE``-row pieces and a remainder in powers of
    two: a multi-row INSERT's text depends on its row count, and every distinct text is a
    prepared statement each pooled connection caches, so the sizes stay few."""
    while count >= LOG_ROWS_PER_EXECUTE:
        count -= LOG_ROWS_PER_EXECUTE
        yield LOG_ROWS_PER_EXECUTE
    size = 64
    while count:
        if count >= size:
            count -= size
            yield size
        size //= 2


async def _upsert_daily(
    session: AsyncSession, records: Sequence[SpendRecord], now: datetime
) -> None:
    """Add the batch's totals to each (day, dims) row: one cached statement, many rows."""
    table = table_of(DailySpend)
    rows = [
        {"id": new_id(), **row, "created_at": now, "updated_at": now}
        for row in daily_totals(records)
    ]
    if not rows:
        return
    statement = dialect_insert(session, DailySpend)
    added = {name: table.c[name] + statement.excluded[name] for name in DAILY_COUNTERS}
    added["updated_at"] = statement.excluded.updated_at
    upsert = statement.on_conflict_do_update(index_elements=["day", "dims"], set_=added)
    await session.exec(upsert, params=rows)


def _parse_period(duration: str | None) -> BudgetPeriod | None:
    """The entity's reset period (None: never resets, or an unreadable duration)."""
    if not duration:
        return None
    try:
        return parse_duration(duration)
    except ValueError:
        log.warning("ignoring unreadable budget_duration %r", duration)
        return None


@dataclass(frozen=True, slots=True)
class _Charge:
    """One entity about to be charged, as read under a row lock, and its budget period."""

    entity_id: str
    max_budget: Decimal | None
    soft_budget: Decimal | None
    caps: Mapping[str, str]
    rolled: bool
    """Whether this batch starts a new period (spend restarts from this batch's cost)."""
    period_start: datetime
    period_end: datetime | None
    """The end of the period containing now (None: a budget that never resets)."""

    @classmethod
    def read(cls, row: RowMapping, now: datetime) -> _Charge:
        period, reset_at = _parse_period(row["budget_duration"]), row["budget_reset_at"]
        caps = row["caps"] or {}
        budgets = (row["entity_id"], row["max_budget"], row["soft_budget"], caps)
        if period is None:
            return cls(*budgets, rolled=False, period_start=row["created_at"], period_end=None)
        _, start, end = period.window(now)
        if reset_at is None or reset_at <= now:
            return cls(*budgets, rolled=True, period_start=start, period_end=end)
        # The current period ends at reset_at (set here, or by whoever set the budget).
        start = period.window(reset_at - _TICK)[1]
        return cls(*budgets, rolled=False, period_start=start, period_end=end)

    def state(self, entity: BudgetEntity, spend: Decimal) -> BudgetState | None:
        """The state for the alerts, when the entity has a budget at all."""
        if self.max_budget is None and self.soft_budget is None:
            return None
        return BudgetState(
            entity, self.entity_id, spend, self.max_budget, self.soft_budget, self.period_start
        )


async def _charge_budgets(
    session: AsyncSession, records: Sequence[SpendRecord], now: datetime
) -> list[BudgetState]:
    """Add each record's cost to its key, user, team, org, end user and key model."""
    states: list[BudgetState] = []
    keys: dict[str, _Charge] = {}
    for entity, model, attr in _ENTITIES:
        costs: dict[str, Decimal] = defaultdict(Decimal)
        for record in records:
            if getattr(record, attr) is not None:
                costs[getattr(record, attr)] += record.cost
        if not costs:
            continue
        if entity is BudgetEntity.END_USER:
            await _ensure_end_users(session, sorted(costs), now)
        for charge, spend in await _charge_table(session, entity, model, costs, now, records):
            if entity is BudgetEntity.KEY:
                keys[charge.entity_id] = charge
            state = charge.state(entity, spend)
            states += [state] if state is not None else []
    return states + await _charge_key_models(session, records, keys, now)


async def _ensure_end_users(
    session: AsyncSession, external_ids: Sequence[str], now: datetime
) -> None:
    for chunk in _chunks(external_ids):
        rows = [
            {"id": new_id(), "external_id": external_id, "spend": Decimal(0), "blocked": False}
            | {"created_at": now, "updated_at": now}
            for external_id in chunk
        ]
        statement = dialect_insert(session, EndUser).values(rows)
        await session.exec(statement.on_conflict_do_nothing(index_elements=["external_id"]))


def _last_used(records: Sequence[SpendRecord]) -> dict[str, datetime]:
    latest: dict[str, datetime] = {}
    for r in records:
        if r.key_id is not None and (r.key_id not in latest or r.ended_at > latest[r.key_id]):
            latest[r.key_id] = r.ended_at
    return latest


async def _charge_table(
    session: AsyncSession,
    entity: BudgetEntity,
    model: type[SQLModel],
    costs: Mapping[str, Decimal],
    now: datetime,
    records: Sequence[SpendRecord],
) -> list[tuple[_Charge, Decimal]]:
    """One locking SELECT for the table, then one UPDATE per entity adding in SQL."""
    t = table_of(model)
    id_col = t.c.external_id if entity is BudgetEntity.END_USER else t.c.id
    caps = t.c.model_max_budget if entity is BudgetEntity.KEY else literal(None)
    columns = (t.c.budget_duration, t.c.budget_reset_at, t.c.max_budget, t.c.soft_budget)
    query = (
        select(id_col.label("entity_id"), *columns, t.c.created_at, caps.label("caps"))
        .where(id_col.in_(sorted(costs)))
        .order_by(id_col)
        # FOR NO KEY UPDATE (PostgreSQL; SQLite already holds its one write lock here):
        # it serialises writers, yet lets rows referencing these through a foreign key
        # (a new key of this team) be inserted meanwhile. FOR UPDATE would block their
        # FK checks and deadlock with an insert that checks the org and then the team.
        .with_for_update(key_share=True)
    )
    rows = (await (await session.connection()).execute(query)).mappings().all()
    expired = or_(t.c.budget_reset_at.is_(None), t.c.budget_reset_at <= now)
    rollover = and_(t.c.budget_duration.is_not(None), expired)
    last_used = _last_used(records) if entity is BudgetEntity.KEY else {}
    charged = []
    for charge in (_Charge.read(row, now) for row in rows):
        cost = costs[charge.entity_id]
        values: dict[str, Any] = {
            "spend": case((rollover, literal(cost, Money())), else_=t.c.spend + cost)
        }
        if charge.period_end is not None:
            end = literal(charge.period_end, UTCDateTime())
            values["budget_reset_at"] = case((rollover, end), else_=t.c.budget_reset_at)
        if charge.entity_id in last_used:
            moment = last_used[charge.entity_id]
            newer = or_(t.c.last_used_at.is_(None), t.c.last_used_at < moment)
            later = literal(moment, UTCDateTime())
            values["last_used_at"] = case((newer, later), else_=t.c.last_used_at)
        statement = update(t).where(id_col == charge.entity_id).values(values)
        spend = (await session.exec(statement.returning(t.c.spend))).scalar_one()
        charged.append((charge, spend))
    return charged


async def _charge_key_models(
    session: AsyncSession,
    records: Sequence[SpendRecord],
    keys: Mapping[str, _Charge],
    now: datetime,
) -> list[BudgetState]:
    """Per-model spend of keys: reset with a rolled-over key, then added in one upsert."""
    t = table_of(KeyModelSpend)
    rolled = sorted(key_id for key_id, charge in keys.items() if charge.rolled)
    if rolled:
        await session.exec(update(t).where(t.c.key_id.in_(rolled)).values(spend=Decimal(0)))
    costs: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in records:
        if r.key_id is not None and r.key_id in keys and r.key_model is not None:
            costs[(r.key_id, r.key_model)] += r.cost
    rows = [
        {"id": new_id(), "key_id": key_id, "model_group": model, "spend": cost}
        | {"created_at": now, "updated_at": now}
        for (key_id, model), cost in sorted(costs.items())
    ]
    states = []
    for chunk in _chunks(rows):
        statement = dialect_insert(session, KeyModelSpend).values(chunk)
        statement = statement.on_conflict_do_update(
            index_elements=["key_id", "model_group"],
            set_={"spend": t.c.spend + statement.excluded.spend, "updated_at": now},
        )
        returning = statement.returning(t.c.key_id, t.c.model_group, t.c.spend)
        for key_id, model, spend in (await session.exec(returning)).all():
            cap, start = _decimal(keys[key_id].caps.get(model)), keys[key_id].period_start
            if cap is not None:
                entity = BudgetEntity.KEY_MODEL
                states.append(BudgetState(entity, f"{key_id}/{model}", spend, cap, None, start))
    return states


def _decimal(value: object) -> Decimal | None:
    """A per-model cap from the key's JSON (decimal strings); None when absent or unreadable."""
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None
