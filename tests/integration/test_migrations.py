"""The migrations build the schema the models describe, on SQLite and PostgreSQL.

Runs against SQLite, or PostgreSQL when ``DELTALLM_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, delete, func, inspect, literal_column, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import SQLModel, col, select

from app.audit.models import ActorType
from app.db import AsyncSession, create_engine
from app.db.migrate import MIGRATIONS_DIR, alembic_config, current, downgrade_async, head, upgrade
from app.db.models import (
    AuditLog,
    DailySpend,
    Organization,
    OrgMembership,
    SpendLog,
    Team,
    User,
    VirtualKey,
    metadata,
)
from app.spend.models import daily_spend_dims
from app.users.models import OrgRole, PlatformRole
from tests.support.db import fresh_database

TABLES = {
    *["organizations", "teams", "users", "org_memberships", "team_memberships", "end_users"],
    *["virtual_keys", "key_model_spend", "spend_logs", "daily_spend", "alert_states"],
    *["model_deployments", "gateway_settings", "audit_logs", "sessions", "recovery_codes"],
    *["cluster_leases", "stored_responses"],
}

Sessions = async_sessionmaker[AsyncSession]


async def _add(sessions: Sessions, *rows: SQLModel) -> None:
    async with sessions() as session:
        session.add_all(rows)
        await session.commit()


async def _rejected(sessions: Sessions, *rows: SQLModel) -> None:
    with pytest.raises(IntegrityError):
        await _add(sessions, *rows)


async def _run(sessions: Sessions, *statements: UpdateBase) -> None:
    async with sessions() as session:
        for statement in statements:
            await session.exec(statement)
        await session.commit()


async def _rejected_sql(sessions: Sessions, statement: UpdateBase) -> None:
    with pytest.raises(IntegrityError):
        await _run(sessions, statement)


def _key(key_hash: str = "a" * 64, **fields: Any) -> VirtualKey:
    return VirtualKey(key_hash=key_hash, key_prefix="sk-", key_suffix=key_hash[-4:], **fields)


def _log(request_id: str, cost: str, started_at: datetime) -> SpendLog:
    return SpendLog(
        request_id=request_id,
        model_group="gpt",
        cost=Decimal(cost),
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=1),
    )


def _diff(connection: Connection, target: MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, target))


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_head_creates_every_table(engine: AsyncEngine, database_url: str) -> None:
    assert await _tables(engine) == TABLES | {"alembic_version"}
    assert await current(database_url) == head() == "0012"


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff, metadata) == []


async def test_drift_check_sees_a_column_missing_from_migrations(engine: AsyncEngine) -> None:
    drifted = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["users"].append_column(Column("nickname", String(32)))
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff, drifted)
    assert [(op[0], op[2], op[3].name) for op in diff] == [("add_column", "users", "nickname")]


async def test_unique_constraints_reject_duplicates(sessions: Sessions) -> None:
    org = Organization(name="Acme", slug="acme")
    user = User(email="ada@example.com")
    await _add(sessions, org, user, _key())
    await _rejected(sessions, _key())
    await _rejected(sessions, Organization(name="Acme", slug="acme-2"))
    await _rejected(sessions, User(email="ada@example.com"))
    await _add(sessions, OrgMembership(user_id=user.id, org_id=org.id))
    await _rejected(sessions, OrgMembership(user_id=user.id, org_id=org.id, role=OrgRole.ORG_ADMIN))
    await _add(sessions, Team(org_id=org.id, name="core"))
    await _rejected(sessions, Team(org_id=org.id, name="core"))


async def test_daily_spend_is_unique_per_day_and_dimensions(sessions: Sessions) -> None:
    dims = daily_spend_dims(
        key_id="k1", user_id=None, team_id=None, org_id=None, end_user=None, model_group="gpt"
    )
    today = date(2025, 1, 2)

    def row(day: date) -> DailySpend:
        return DailySpend(day=day, dims=dims, key_id="k1", model_group="gpt")

    await _add(sessions, row(today), row(today + timedelta(days=1)))
    await _rejected(sessions, row(today))
    other = daily_spend_dims(
        key_id="k1", user_id=None, team_id=None, org_id=None, end_user="", model_group="gpt"
    )
    assert other != dims  # NULL and "" are different dimensions


async def test_foreign_keys_are_enforced(sessions: Sessions) -> None:
    await _rejected(sessions, _key(team_id="no-such-team"))
    await _rejected(sessions, Team(org_id="no-such-org", name="core"))


async def test_on_delete_cascades_and_restricts(sessions: Sessions) -> None:
    org = Organization(name="Acme", slug="acme")
    user = User(email="ada@example.com")
    team = Team(org_id=org.id, name="core")
    await _add(sessions, org, user)
    await _add(
        sessions,
        team,
        OrgMembership(user_id=user.id, org_id=org.id),
        _key("1" * 64, user_id=user.id),
        _key("2" * 64, org_id=org.id),
    )
    await _rejected_sql(sessions, delete(Organization).where(col(Organization.id) == org.id))
    await _run(
        sessions,
        delete(User).where(col(User.id) == user.id),
        delete(Team).where(col(Team.id) == team.id),
        delete(Organization).where(col(Organization.id) == org.id),
    )
    async with sessions() as session:
        assert (await session.exec(select(VirtualKey))).all() == []
        assert (await session.exec(select(OrgMembership))).all() == []


async def test_check_constraints_guard_roles_and_email_case(sessions: Sessions) -> None:
    user = User(email="ada@example.com", platform_role=PlatformRole.PLATFORM_ADMIN)
    await _add(sessions, user)
    # literal SQL values skip the column types' own validation: only the CHECKs remain
    for column, value in (("platform_role", "'root'"), ("email", "'Ada@Example.com'")):
        await _rejected_sql(sessions, update(User).values({column: literal_column(value)}))
    async with sessions() as session:
        loaded = (await session.exec(select(User))).one()
    assert loaded.platform_role is PlatformRole.PLATFORM_ADMIN


async def test_money_is_exact_decimal(sessions: Sessions) -> None:
    key = _key(spend=Decimal("123456789.0123456789"), max_budget=Decimal("0.0000000001"))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    logs = [_log(f"r{i}", cost, start) for i, cost in enumerate(["0.1", "0.2", "0.0000000003"])]
    await _add(sessions, key, *logs)
    async with sessions() as session:
        await session.exec(
            update(VirtualKey).values(spend=VirtualKey.spend + Decimal("0.0000000011"))
        )
        await session.commit()
    async with sessions() as session:
        loaded = (await session.exec(select(VirtualKey))).one()
        total = (await session.exec(select(func.sum(SpendLog.cost)))).one()
        over = (await session.exec(select(SpendLog).where(SpendLog.cost > Decimal("0.15")))).all()
    assert loaded.spend == Decimal("123456789.0123456800")
    assert loaded.max_budget == Decimal("0.0000000001")
    assert isinstance(loaded.spend, Decimal)
    assert total == Decimal("0.3000000003")
    assert isinstance(total, Decimal)
    assert [log.request_id for log in over] == ["r1"]


async def test_money_refuses_floats(sessions: Sessions) -> None:
    with pytest.raises(StatementError, match="Decimal"):
        await _add(sessions, _key(spend=0.1))


async def test_datetimes_come_back_aware_utc(sessions: Sessions) -> None:
    plus_two = timezone(timedelta(hours=2))
    expires = datetime(2030, 1, 1, 12, 30, 15, 123456, tzinfo=plus_two)
    await _add(sessions, _key(expires_at=expires))
    for hour in (1, 3, 5):
        await _add(sessions, _log(f"r{hour}", "0", datetime(2025, 1, 1, hour, tzinfo=UTC)))
    since = datetime(2025, 1, 1, 4, tzinfo=plus_two)  # 02:00 UTC
    async with sessions() as session:
        loaded = (await session.exec(select(VirtualKey))).one()
        later = (await session.exec(select(SpendLog).where(SpendLog.started_at >= since))).all()
    assert loaded.expires_at == expires
    assert loaded.expires_at is not None and loaded.expires_at.tzinfo is UTC
    assert loaded.expires_at.hour == 10
    assert loaded.created_at.tzinfo is UTC
    assert sorted(log.request_id for log in later) == ["r3", "r5"]
    with pytest.raises(StatementError, match="naive"):
        await _add(sessions, _key("b" * 64, expires_at=datetime(2030, 1, 1)))


async def test_json_round_trips_and_none_is_sql_null(sessions: Sessions) -> None:
    key = _key(models=["gpt-4o", "claude"], metadata_={"env": "prod", "n": [1, 2]})
    entry = AuditLog(actor_type=ActorType.SYSTEM, action="key.create", target_type="key")
    await _add(sessions, key, entry)
    async with sessions() as session:
        loaded = (await session.exec(select(VirtualKey))).one()
        nulls = (await session.exec(select(AuditLog).where(col(AuditLog.before).is_(None)))).all()
    assert loaded.models == ["gpt-4o", "claude"]
    assert loaded.metadata_ == {"env": "prod", "n": [1, 2]}
    assert [n.id for n in nulls] == [entry.id]
    assert nulls[0].actor_type is ActorType.SYSTEM


async def test_downgrade_to_base_and_upgrade_again(engine: AsyncEngine, database_url: str) -> None:
    await engine.dispose()
    await downgrade_async(database_url, "base")
    assert await current(database_url) is None
    assert await _tables(engine) == {"alembic_version"}
    await engine.dispose()
    await upgrade(database_url)
    assert await current(database_url) == head()
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff, metadata) == []


REBUILD_REVISION = '''"""Widen organizations.name: on SQLite, batch mode rebuilds the table."""

import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "0012"
branch_labels = None
depends_on = None


def _name(old: int, new: int) -> None:
    with op.batch_alter_table("organizations") as batch_op:
        batch_op.alter_column(
            "name", type_=sa.String(new), existing_type=sa.String(old), existing_nullable=False
        )


def upgrade() -> None:
    _name(255, 300)


def downgrade() -> None:
    _name(300, 255)
'''


async def test_rebuilding_a_parent_table_keeps_children_and_constraints(
    tmp_path: Path, sessions: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9001_rebuild.py").write_text(REBUILD_REVISION, encoding="utf-8")
    config = alembic_config(database_url)
    config.set_main_option("script_location", str(scripts))
    org = Organization(name="Acme", slug="acme")
    await _add(sessions, org)
    await _add(sessions, Team(org_id=org.id, name="core"), _key(org_id=org.id))
    await engine.dispose()
    # Without a shared connection, env.py opens its own engine (the standalone path).
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.downgrade, config, "0012")
    async with sessions() as session:
        assert len((await session.exec(select(Team))).all()) == 1
        assert len((await session.exec(select(VirtualKey))).all()) == 1
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff, metadata) == []


async def test_fresh_database_without_revision_is_empty() -> None:
    async with fresh_database(revision=None) as url:
        engine = create_engine(url)
        try:
            assert await _tables(engine) == set()
            assert await current(url) is None
        finally:
            await engine.dispose()
