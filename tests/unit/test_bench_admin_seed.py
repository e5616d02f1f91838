"""The admin benchmark's seed: the asked counts, and totals that agree across tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.statements import table_of
from tests.benchmarks.admin_data import TABLES, Counts, seed

COUNTS = Counts(orgs=2, teams_per_org=3, users=5, keys=12, logs=300, days=7)


async def _scalar(engine: AsyncEngine, query: Select[Any]) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(query)).scalar_one()


async def test_seed_writes_the_asked_rows_and_consistent_totals(
    database_url: str, engine: AsyncEngine
) -> None:
    lines: list[str] = []
    first_day = datetime.now(UTC).date() - timedelta(days=COUNTS.days - 1)  # before seeding
    result = await seed(database_url, COUNTS, progress=lines.append)

    counted = {}
    for name, model in TABLES.items():
        counted[name] = await _scalar(engine, select(func.count()).select_from(table_of(model)))
    assert counted == result.rows
    assert (counted["organizations"], counted["teams"], counted["users"]) == (2, 6, 5)
    assert (counted["virtual_keys"], counted["spend_logs"]) == (12, 300)
    assert counted["audit_logs"] == 2 + 6 + 5 + 12  # one entry per created object
    assert any("300/300 spend_logs" in line for line in lines)

    logs, daily, keys = (table_of(TABLES[n]) for n in ("spend_logs", "daily_spend", "virtual_keys"))
    assert await _scalar(engine, select(func.sum(daily.c.request_count))) == 300
    log_cost = await _scalar(engine, select(func.sum(logs.c.cost)))
    assert log_cost > 0
    assert await _scalar(engine, select(func.sum(daily.c.cost))) == log_cost
    assert await _scalar(engine, select(func.sum(keys.c.spend))) == log_cost

    earliest = await _scalar(engine, select(func.min(logs.c.started_at)))
    assert earliest >= datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)

    busiest = select(func.count()).where(logs.c.key_id == result.busiest_key_id)
    per_key = select(func.count().label("n")).select_from(logs).group_by(logs.c.key_id)
    most = select(func.max(per_key.subquery().c.n))
    assert await _scalar(engine, busiest) == await _scalar(engine, most)
