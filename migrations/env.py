"""Alembic environment: the async engine, every SQLModel table, batch mode for SQLite.

``app.db.migrate`` passes a live connection in ``config.attributes["connection"]`` (so
migrations can run inside a running event loop); without one, an engine is made from
``sqlalchemy.url``. On SQLite, foreign keys are switched off while tables are rebuilt
(batch mode drops and recreates them) and checked afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationInfo
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.db.models  # noqa: F401 - registers every table on SQLModel.metadata
from app.db import types as db_types
from app.db.engine import create_engine

log = logging.getLogger("deltallm.db")

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render ``app.db.types`` as ``db_types.X()``; string enums as plain ``sa.String``."""
    if type_ != "type":
        return False
    if isinstance(obj, db_types.StrEnumType):
        return f"sa.String(length={obj.length})"
    if type(obj).__module__ == db_types.__name__:
        if autogen_context.imports is not None:
            autogen_context.imports.add("from app.db import types as db_types")
        return f"db_types.{obj!r}"
    return False


def log_step(*, step: MigrationInfo, **_: Any) -> None:
    """One log line per applied revision."""
    log.info(
        "%s %s -> %s (%s)",
        "upgraded" if step.is_upgrade else "downgraded",
        ",".join(step.source_revision_ids) or "base",
        ",".join(step.destination_revision_ids) or "base",
        getattr(step.up_revision, "doc", ""),
    )


_PG_LOCK_ID = 0x64656C7461  # "delta": one migration run at a time per database

_OPTIONS: dict[str, Any] = {
    "target_metadata": target_metadata,
    "render_as_batch": True,  # ALTER on SQLite needs batch mode; on PostgreSQL it is plain
    "compare_type": True,
    "render_item": render_item,
    "on_version_apply": log_step,
}


def run_offline() -> None:
    """Emit SQL instead of running it (``--sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


def _check_foreign_keys(connection: Connection) -> None:
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if violations:
        tables = sorted({str(row[0]) for row in violations})
        raise RuntimeError(f"foreign key violations after migrating: {', '.join(tables)}")


def run_on(connection: Connection) -> None:
    """Run the migrations on a sync connection (the caller commits)."""
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        # PostgreSQL: instances starting together queue here; the lock ends with the commit.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_ID})")
    if sqlite:
        # A no-op inside a transaction: commit first so the pragma takes effect.
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(connection=connection, **_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        connection.commit()
        _check_foreign_keys(connection)
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


async def run_async() -> None:
    """Open an engine from ``sqlalchemy.url`` and migrate through it."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no sqlalchemy.url: use app.db.migrate.alembic_config()")
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    run_on(shared)
else:
    asyncio.run(run_async())
