"""Seed data for ``just bench-admin``: a migrated database filled like a busy gateway's.

:func:`seed` runs the app's migrations, then bulk-inserts (SQLAlchemy Core, in batches) orgs
with teams, users, virtual keys, request logs over the last ``days`` days (skewed towards a
few busy keys), their daily rollup (``daily_spend``, summed by the spend writer's own
``daily_totals``) and one audit entry per created object; spend columns match the logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

from app.audit.models import ActorType, AuditLog
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.db.statements import table_of
from app.db.types import new_id
from app.keys.models import VirtualKey
from app.orgs.models import Organization, Team
from app.spend.models import DailySpend, SpendLog, SpendStatus
from app.spend.pricing import builtin_price
from app.spend.records import SpendRecord, daily_totals
from app.users.models import OrgMembership, OrgRole, TeamMembership, User

__all__ = ["TABLES", "Counts", "SeedResult", "postgres_cpu_ms", "seed"]

BATCH = 5_000
MODELS = {"gpt-4o-mini": 40, "gpt-4o": 20, "gpt-4.1-mini": 10, "text-embedding-3-small": 5}
MODELS |= {"claude-3-5-sonnet": 15, "claude-3-5-haiku": 10}  # model group -> % of requests
_ENTITY_MODELS = (Organization, Team, User, VirtualKey, OrgMembership, TeamMembership, AuditLog)
TABLES: dict[str, type[SQLModel]] = {
    table_of(m).name: m for m in (*_ENTITY_MODELS, SpendLog, DailySpend)
}
_TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")
_OUTCOMES = (("ok", 200), ("error", 500), ("cancelled", 499))
_MASTER = {"actor_type": ActorType.MASTER_KEY, "actor_id": "master"}


@dataclass(frozen=True, slots=True)
class Counts:
    """How much to seed (the defaults: a mid-sized deployment after a month)."""

    orgs: int = 20
    teams_per_org: int = 5
    users: int = 200
    keys: int = 2_000
    logs: int = 100_000
    days: int = 30


@dataclass(frozen=True, slots=True)
class SeedResult:
    rows: dict[str, int]
    busiest_key_id: str
    """The key with the most request logs (the filtered ``requestLogs`` query uses it)."""
    seconds: float


@dataclass(slots=True)
class _Plan:
    """Ids and ownership decided before any row is written."""

    orgs: list[str]
    teams: list[tuple[str, str]]  # (team id, org id)
    users: list[tuple[str, str, str]]  # (user id, org id, team id)
    keys: list[tuple[str, str, str, str | None]]  # (key id, team, org, user)
    spend: dict[str, Decimal]


def _plan(counts: Counts, rng: random.Random) -> _Plan:
    orgs = [new_id() for _ in range(counts.orgs)]
    teams = [(new_id(), org) for org in orgs for _ in range(counts.teams_per_org)]
    homes = [teams[i % len(teams)] for i in range(counts.users)]  # round robin
    users = [(new_id(), org, team) for team, org in homes]
    keys = []
    for i in range(counts.keys):
        team, org = teams[i % len(teams)]
        member = i % len(teams)  # users[member] is in this team, when there is one
        owner = users[member][0] if member < len(users) and rng.random() < 0.5 else None
        keys.append((new_id(), team, org, owner))
    return _Plan(orgs, teams, users, keys, defaultdict(Decimal))


def _log_records(
    plan: _Plan, counts: Counts, rng: random.Random, end: datetime
) -> tuple[list[SpendRecord], str]:
    """Requests from the first day's midnight to ``end``; costs are added to plan.spend."""
    first = end.date() - timedelta(days=counts.days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    weights = [1.0 / (rank + 1) ** 1.1 for rank in range(len(plan.keys))]  # a few busy keys
    picked = rng.choices(plan.keys, weights=weights, k=counts.logs)
    models = list(MODELS)
    chosen = rng.choices(models, weights=[MODELS[m] for m in models], k=counts.logs)
    prices = {m: builtin_price(m) for m in models}
    span = (end - start).total_seconds()
    hits: dict[str, int] = defaultdict(int)
    records = []
    for (key_id, team, org, user), model in zip(picked, chosen, strict=True):
        began = start + timedelta(seconds=rng.random() * span)
        embedding = model.startswith("text-embedding")
        prompt = int(rng.lognormvariate(6.5, 1.0)) + 1
        completion = 0 if embedding else int(rng.lognormvariate(5.0, 1.0))
        price = prices[model]
        cost = Decimal(0) if price is None else prompt * price.input + completion * price.output
        status, code = rng.choices(_OUTCOMES, weights=(97, 2, 1))[0]
        latency = int(rng.lognormvariate(6.8, 0.6))
        records.append(
            SpendRecord(
                request_id=f"req_{uuid.uuid4().hex}",
                key_id=key_id,
                user_id=user,
                team_id=team,
                org_id=org,
                model_group=model,
                deployment_id=f"{model}-1",
                provider="anthropic" if model.startswith("claude") else "openai",
                call_type="embeddings" if embedding else "chat",
                prompt_tokens=prompt,
                completion_tokens=completion,
                cost=cost,
                latency_ms=latency,
                ttft_ms=None if embedding else latency // 4,
                status=status,
                status_code=code,
                started_at=began,
                ended_at=began + timedelta(milliseconds=latency),
            )
        )
        hits[key_id] += 1
        for owner in (key_id, team, org, user):
            if owner is not None:
                plan.spend[owner] += cost
    return records, max(hits, key=hits.__getitem__)


def _log_row(record: SpendRecord) -> dict[str, Any]:
    """The spend_logs row of a record, as the spend writer stores it."""
    row = {name: getattr(record, name) for name in record.__struct_fields__}
    del row["key_model"]
    extra = {"status": SpendStatus(record.status), "tags": [], "written_at": record.ended_at}
    return row | {"id": new_id(), **extra}


def _entity_rows(plan: _Plan, rng: random.Random, now: datetime) -> dict[str, list[dict[str, Any]]]:
    def stamp(entity_id: str, age_days: int) -> dict[str, Any]:
        born = now - timedelta(days=age_days + rng.random() * 30)  # orgs first, keys last
        spend = plan.spend[entity_id]
        return {"id": entity_id, "spend": spend, "created_at": born, "updated_at": now}

    out: dict[str, list[dict[str, Any]]] = {}
    out["organizations"] = orgs = [
        {"name": f"Bench Org {i:03d}", "slug": f"bench-org-{i:03d}", **stamp(o, 90)}
        for i, o in enumerate(plan.orgs)
    ]
    out["teams"] = teams = [
        {"org_id": o, "name": f"team-{i:04d}", **stamp(t, 60)}
        for i, (t, o) in enumerate(plan.teams)
    ]
    out["users"] = users = [
        {"email": f"user{i:04d}@bench.example", "display_name": f"User {i}", **stamp(u, 30)}
        for i, (u, _o, _t) in enumerate(plan.users)
    ]
    out["org_memberships"] = [
        {"id": new_id(), "user_id": u, "org_id": o, "role": OrgRole.ORG_MEMBER}
        for u, o, _t in plan.users
    ]
    out["team_memberships"] = [
        {"id": new_id(), "user_id": u, "team_id": t} for u, _o, t in plan.users
    ]
    out["virtual_keys"] = keys = []
    for i, (k, t, o, u) in enumerate(plan.keys):
        digest = hashlib.sha256(f"bench-{k}".encode()).hexdigest()
        secret = {"key_hash": digest, "key_prefix": "sk-bench", "key_suffix": digest[-4:]}
        owner = {"alias": f"service-{i:05d}", "user_id": u, "team_id": t, "org_id": o}
        keys.append(secret | owner | stamp(k, 30))
    out["audit_logs"] = audit = []
    for kind, rows in (("organization", orgs), ("team", teams), ("user", users), ("key", keys)):
        for row in rows:
            org_id = row["id"] if kind == "organization" else row.get("org_id")
            target = {"target_type": kind, "target_id": row["id"], "org_id": org_id}
            change = {"action": f"{kind}.create", "after": {"id": row["id"]}}
            audit.append(
                {"id": new_id(), **_MASTER, **target, **change, "created_at": row["created_at"]}
            )
    return out


async def _insert(conn: AsyncConnection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    for at in range(0, len(rows), BATCH):
        await conn.execute(insert(table_of(model)), rows[at : at + BATCH])


async def seed(
    database_url: str, counts: Counts, *, progress: Callable[[str], None] = print, rng_seed: int = 7
) -> SeedResult:
    """Migrate ``database_url`` to head and fill it; see the module docstring."""
    started = time.monotonic()

    def say(message: str) -> None:
        progress(f"seed [{time.monotonic() - started:5.1f}s] {message}")

    say("applying the migrations")
    await upgrade(database_url)
    rng = random.Random(rng_seed)
    now = datetime.now(UTC)
    plan = _plan(counts, rng)
    records, busiest = _log_records(plan, counts, rng, now)
    daily = [
        {"id": new_id(), **row, "created_at": now, "updated_at": now}
        for row in daily_totals(records)
    ]
    entities = _entity_rows(plan, rng, now)
    say(f"generated {len(records):,} requests, {len(daily):,} daily totals")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            for name, rows in entities.items():
                await _insert(conn, TABLES[name], rows)
            shown = ", ".join(f"{len(entities[n]):,} {n}" for n in list(TABLES)[:4])
            say(f"inserted {shown}")
            for at in range(0, len(records), BATCH):
                await _insert(conn, SpendLog, [_log_row(r) for r in records[at : at + BATCH]])
                done = min(at + BATCH, len(records))
                if done % (BATCH * 4) == 0 or done == len(records):
                    say(f"inserted {done:,}/{len(records):,} spend_logs")
            await _insert(conn, DailySpend, daily)
            say(f"inserted {len(daily):,} daily_spend, {len(entities['audit_logs']):,} audit_logs")
        if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    counted = {name: len(rows) for name, rows in entities.items()}
    counted |= {"spend_logs": len(records), "daily_spend": len(daily)}
    return SeedResult(counted, busiest, time.monotonic() - started)


def postgres_cpu_ms(database: str) -> dict[str, float]:
    """CPU ms of this machine's PostgreSQL backends for ``database`` (found by process title)
    as ``pg:<pid>``, and ``pg:exited``: what the exited backends (of any database) used."""
    found: dict[str, float] = {}
    postmaster = None
    for entry in os.scandir("/proc"):
        with contextlib.suppress(OSError, ValueError):
            if (
                entry.name.isdigit()
                and f" {database} ".encode() in Path(entry.path, "cmdline").read_bytes()
            ):
                stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                found[f"pg:{entry.name}"] = (int(stat[11]) + int(stat[12])) * _TICK_MS
                postmaster = stat[1]
    if postmaster is not None:  # children's utime + stime, counted when it reaps them
        stat = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        found["pg:exited"] = (int(stat[13]) + int(stat[14])) * _TICK_MS
    return found
