"""The spend writer against a real, migrated database (SQLite, or PostgreSQL when set)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.keys.models import KeyModelSpend, VirtualKey
from app.limits.periods import parse_duration
from app.orgs.models import Organization, Team
from app.spend.models import BudgetEntity, DailySpend, SpendLog, daily_spend_dims
from app.spend.records import BudgetState, SpendRecord
from app.spend.retention import RetentionTask, purge_old_logs
from app.spend.writer import SpendWriter
from app.users.models import EndUser, User
from tests.support.clock import Clock

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY1 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
DAY2 = datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Tenancy:
    org: str
    team: str
    user: str
    key: str


class RecordingAlerts:
    def __init__(self) -> None:
        self.states: list[BudgetState] = []

    async def check(self, states: Sequence[BudgetState]) -> None:
        self.states.extend(states)


async def add(sessions: Sessions, *rows: SQLModel) -> None:
    async with sessions() as session:
        session.add_all(rows)
        await session.commit()


def new_key(**fields: Any) -> VirtualKey:
    secret = uuid.uuid4().hex
    return VirtualKey(
        key_hash=secret * 2, key_prefix="sk-" + secret[:6], key_suffix="abcd", **fields
    )


async def tenancy(sessions: Sessions, *, key: dict[str, Any] | None = None) -> Tenancy:
    org = Organization(name="Acme", slug="acme", max_budget=Decimal(100))
    team = Team(org_id=org.id, name="Platform", budget_duration="1mo", max_budget=Decimal(50))
    user = User(email="ada@example.com")
    await add(sessions, org)
    await add(sessions, team, user)
    virtual_key = new_key(user_id=user.id, team_id=team.id, org_id=org.id, **(key or {}))
    await add(sessions, virtual_key)
    return Tenancy(org=org.id, team=team.id, user=user.id, key=virtual_key.id)


def record(t: Tenancy | None, cost: str, *, started: datetime = DAY1, **fields: Any) -> SpendRecord:
    owners = {"key_id": t.key, "user_id": t.user, "team_id": t.team, "org_id": t.org} if t else {}
    values: dict[str, Any] = {
        "request_id": f"req-{uuid.uuid4().hex}",
        "model_group": "gpt-4o",
        "cost": Decimal(cost),
        "started_at": started,
        "ended_at": started + timedelta(seconds=1),
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cached_tokens": 2,
        "deployment_id": "dep-1",
        "provider": "openai",
        "call_type": "chat",
        "latency_ms": 1000,
        **owners,
    }
    values.update(fields)
    return SpendRecord(**values)


async def one(sessions: Sessions, model: type[Any], row_id: str) -> Any:
    async with sessions() as session:
        return await session.get(model, row_id)


async def count(sessions: Sessions, model: type[SQLModel]) -> int:
    async with sessions() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def daily(sessions: Sessions) -> dict[tuple[date, str], DailySpend]:
    async with sessions() as session:
        rows = (await session.exec(select(DailySpend))).all()
    return {(row.day, row.dims): row for row in rows}


def expected_daily(records: Sequence[SpendRecord]) -> dict[tuple[date, str], list[Any]]:
    totals: dict[tuple[date, str], list[Any]] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    for r in records:
        dims = daily_spend_dims(
            key_id=r.key_id,
            user_id=r.user_id,
            team_id=r.team_id,
            org_id=r.org_id,
            end_user=r.end_user,
            model_group=r.model_group,
        )
        total = totals[(r.started_at.date(), dims)]
        for i, value in enumerate(
            (1, r.prompt_tokens, r.completion_tokens, r.cached_tokens, r.cost)
        ):
            total[i] += value
    return dict(totals)


def as_lists(rows: dict[tuple[date, str], DailySpend]) -> dict[tuple[date, str], list[Any]]:
    return {
        key: [r.request_count, r.prompt_tokens, r.completion_tokens, r.cached_tokens, r.cost]
        for key, r in rows.items()
    }


async def test_logs_and_daily_totals_across_batches_and_days(sessions: Sessions) -> None:
    t = await tenancy(sessions)
    writer = SpendWriter(sessions, clock=Clock(NOW))
    batches = [
        [record(t, "0.0000123456"), record(t, "0.5", started=DAY2), record(None, "0.25")],
        [record(t, "1.0000000001", model_group="claude"), record(t, "0.3", end_user="cust-9")],
        [record(t, "0.0000000001", started=DAY2, prompt_tokens=1000) for _ in range(7)],
    ]
    for batch in batches:
        assert await writer.write(batch) == len(batch)
    written = [r for batch in batches for r in batch]
    assert await count(sessions, SpendLog) == len(written)
    assert as_lists(await daily(sessions)) == expected_daily(written)
    async with sessions() as session:
        log = (
            await session.exec(
                select(SpendLog).where(SpendLog.request_id == batches[0][0].request_id)
            )
        ).one()
    assert (log.cost, log.key_id, log.started_at, log.tags) == (
        Decimal("0.0000123456"),
        t.key,
        DAY1,
        [],
    )


async def test_entity_spend_increments_are_exact(sessions: Sessions) -> None:
    t = await tenancy(sessions)
    writer = SpendWriter(sessions, clock=Clock(NOW))
    costs = ["0.0000000001", "0.1234567891", "3.3333333333", "0.0000000009"]
    await writer.write([record(t, costs[0]), record(t, costs[1])])
    await writer.write([record(t, costs[2], ended_at=DAY2), record(t, costs[3])])
    total = sum((Decimal(c) for c in costs), Decimal(0))
    assert total == Decimal("3.4567901234")
    for model, row_id in [
        (VirtualKey, t.key),
        (User, t.user),
        (Team, t.team),
        (Organization, t.org),
    ]:
        assert (await one(sessions, model, row_id)).spend == total
    assert (await one(sessions, VirtualKey, t.key)).last_used_at == DAY2


async def test_redelivery_changes_nothing(sessions: Sessions) -> None:
    t = await tenancy(sessions)
    writer = SpendWriter(sessions, clock=Clock(NOW))
    batch = [record(t, "0.75", end_user="cust-1", key_model="gpt-4o") for _ in range(3)]
    assert await writer.write(batch + batch[:1]) == 3
    before = (as_lists(await daily(sessions)), (await one(sessions, VirtualKey, t.key)).spend)
    assert await writer.write(batch) == 0
    assert await writer.write(list(reversed(batch))) == 0
    after = (as_lists(await daily(sessions)), (await one(sessions, VirtualKey, t.key)).spend)
    assert after == before
    assert before[1] == Decimal("2.25")
    assert await count(sessions, SpendLog) == 3
    async with sessions() as session:
        end_user = (await session.exec(select(EndUser))).one()
        per_model = (await session.exec(select(KeyModelSpend))).one()
    assert end_user.spend == per_model.spend == Decimal("2.25")


async def test_period_rollover_resets_spend(sessions: Sessions) -> None:
    past = NOW - timedelta(hours=3)
    t = await tenancy(
        sessions,
        key={
            "budget_duration": "1d",
            "budget_reset_at": past,
            "spend": Decimal(7),
            "max_budget": Decimal(10),
            "model_max_budget": {"gpt-4o": "2"},
        },
    )
    async with sessions() as session:
        session.add(KeyModelSpend(key_id=t.key, model_group="gpt-4o", spend=Decimal(4)))
        await session.commit()
    clock = Clock(NOW)
    alerts = RecordingAlerts()
    writer = SpendWriter(sessions, alerts, clock)  # type: ignore[arg-type]
    await writer.write([record(t, "0.5", key_model="gpt-4o")])
    key = await one(sessions, VirtualKey, t.key)
    _, start, end = parse_duration("1d").window(NOW)
    assert (key.spend, key.budget_reset_at) == (Decimal("0.5"), end)
    await writer.write([record(t, "0.25", key_model="gpt-4o")])
    key = await one(sessions, VirtualKey, t.key)
    assert (key.spend, key.budget_reset_at) == (Decimal("0.75"), end)
    async with sessions() as session:
        assert (await session.exec(select(col(KeyModelSpend.spend)))).one() == Decimal("0.75")
    # The team's monthly budget had no reset time yet: its first charge starts a period.
    team = await one(sessions, Team, t.team)
    assert (team.spend, team.budget_reset_at) == (Decimal("0.75"), datetime(2026, 4, 1, tzinfo=UTC))
    # The org's budget never resets; its period starts when it was created.
    org = await one(sessions, Organization, t.org)
    assert org.budget_reset_at is None
    by_entity = {(s.entity_type, s.entity_id): s for s in alerts.states[-4:]}
    assert by_entity[(BudgetEntity.KEY, t.key)].period_start == start
    assert by_entity[(BudgetEntity.ORG, t.org)].period_start == org.created_at
    assert by_entity[(BudgetEntity.KEY_MODEL, f"{t.key}/gpt-4o")] == BudgetState(
        BudgetEntity.KEY_MODEL, f"{t.key}/gpt-4o", Decimal("0.75"), Decimal(2), None, start
    )
    assert (BudgetEntity.USER, t.user) not in by_entity  # no budget, no alert state
    clock.now = end + timedelta(minutes=1)
    await writer.write([record(t, "0.125", key_model="gpt-4o")])
    key = await one(sessions, VirtualKey, t.key)
    assert (key.spend, key.budget_reset_at) == (Decimal("0.125"), end + timedelta(days=1))
    async with sessions() as session:
        assert (await session.exec(select(col(KeyModelSpend.spend)))).one() == Decimal("0.125")
    assert (await one(sessions, Team, t.team)).spend == Decimal("0.875")


async def test_end_users_are_created_and_charged(sessions: Sessions) -> None:
    await add(sessions, EndUser(external_id="known", max_budget=Decimal(5), spend=Decimal(1)))
    alerts = RecordingAlerts()
    writer = SpendWriter(sessions, alerts, Clock(NOW))  # type: ignore[arg-type]
    await writer.write([record(None, "0.2", end_user="known"), record(None, "0.3", end_user="new")])
    await writer.write([record(None, "0.4", end_user="new")])
    async with sessions() as session:
        rows = {u.external_id: u for u in (await session.exec(select(EndUser))).all()}
    assert rows["known"].spend == Decimal("1.2")
    assert (rows["new"].spend, rows["new"].max_budget, rows["new"].blocked) == (
        Decimal("0.7"),
        None,
        False,
    )
    assert [(s.entity_type, s.entity_id, s.spend) for s in alerts.states] == [
        (BudgetEntity.END_USER, "known", Decimal("1.2"))
    ]


async def test_key_model_spend_is_per_model(sessions: Sessions) -> None:
    t = await tenancy(sessions)
    writer = SpendWriter(sessions, clock=Clock(NOW))
    await writer.write(
        [
            record(t, "1.5", key_model="gpt-4o"),
            record(t, "0.5", key_model="claude", model_group="claude"),
            record(t, "9"),
        ]
    )
    await writer.write([record(t, "0.25", key_model="gpt-4o")])
    async with sessions() as session:
        rows = (await session.exec(select(KeyModelSpend))).all()
    assert {(r.key_id, r.model_group): r.spend for r in rows} == {
        (t.key, "gpt-4o"): Decimal("1.75"),
        (t.key, "claude"): Decimal("0.5"),
    }


async def test_records_of_deleted_keys_are_still_logged(sessions: Sessions) -> None:
    writer = SpendWriter(sessions, clock=Clock(NOW))
    gone = Tenancy(org=str(uuid.uuid4()), team=str(uuid.uuid4()), user="u", key=str(uuid.uuid4()))
    assert await writer.write([record(gone, "0.5", key_model="gpt-4o")]) == 1
    assert await count(sessions, KeyModelSpend) == 0
    assert await count(sessions, DailySpend) == 1


async def test_retention_purges_in_batches(sessions: Sessions) -> None:
    writer = SpendWriter(sessions, clock=Clock(NOW))
    old = [record(None, "0.1", started=DAY1 - timedelta(days=40, minutes=i)) for i in range(23)]
    recent = [record(None, "0.1", started=DAY1) for _ in range(4)]
    await writer.write(old + recent)
    assert await purge_old_logs(sessions, DAY1 - timedelta(days=30), batch_size=5) == 23
    assert await count(sessions, SpendLog) == 4
    assert await purge_old_logs(sessions, DAY1 - timedelta(days=30), batch_size=5) == 0
    assert sum(row.request_count for row in (await daily(sessions)).values()) == 27
    task = RetentionTask(sessions, days=0, interval=3600, clock=lambda: DAY1 + timedelta(seconds=1))
    assert await task.run_once() == 4
    await task.start()
    await task.stop()


async def test_guardrails_and_cache_hits_reach_the_request_log(sessions: Sessions) -> None:
    t = await tenancy(sessions)
    writer = SpendWriter(sessions, clock=Clock(NOW))
    checked = record(t, "0", guardrails=["pii-mask", "injection"], cache_hit=True)
    plain = record(t, "0.1")
    assert await writer.write([checked, plain]) == 2
    async with sessions() as session:
        rows = {r.request_id: r for r in (await session.exec(select(SpendLog))).all()}
    assert (rows[checked.request_id].guardrails, rows[checked.request_id].cache_hit) == (
        ["pii-mask", "injection"],
        True,
    )
    assert (rows[plain.request_id].guardrails, rows[plain.request_id].cache_hit) == ([], False)
