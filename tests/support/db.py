"""A fresh database per test, built by the migrations (never ``create_all``).

    async with fresh_database() as url:        # migrated to head
        engine = create_engine(url)
        ...

SQLite by default (a file in a temporary directory). When ``DELTALLM_TEST_DATABASE_URL``
names a PostgreSQL server (``postgresql://postgres@127.0.0.1:5432/postgres``), a database
with a unique name is created there and dropped (``WITH (FORCE)``) afterwards. Dispose of
your engines before the block ends.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.db.migrate import upgrade

__all__ = ["TEST_DATABASE_ENV", "backend", "fresh_database", "scratch_postgres"]

TEST_DATABASE_ENV = "DELTALLM_TEST_DATABASE_URL"


def backend() -> str:
    """``"postgresql"`` when ``DELTALLM_TEST_DATABASE_URL`` is set, else ``"sqlite"``."""
    server = os.environ.get(TEST_DATABASE_ENV)
    return make_url(server).get_backend_name() if server else "sqlite"


def _plain_dsn(url: str, database: str) -> str:
    """A libpq-style DSN (what asyncpg accepts) for ``database`` on the server of ``url``."""
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


@asynccontextmanager
async def scratch_postgres(server_url: str, prefix: str = "deltallm_test") -> AsyncIterator[str]:
    """The async URL of a new, empty ``<prefix>_*`` database on that server, dropped
    (``WITH (FORCE)``) when the block ends."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin_db = make_url(server_url).database or "postgres"
    admin = await asyncpg.connect(_plain_dsn(server_url, admin_db))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield (
            make_url(_plain_dsn(server_url, name))
            .set(drivername="postgresql+asyncpg")
            .render_as_string(hide_password=False)
        )
    finally:
        admin = await asyncpg.connect(_plain_dsn(server_url, admin_db))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def _sqlite_database() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="deltallm-db-") as tmp:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'deltallm.db'}"


@asynccontextmanager
async def fresh_database(revision: str | None = "head") -> AsyncIterator[str]:
    """Yield the URL of a new database migrated to ``revision`` (``None``: left empty).

    The database exists only inside the block; the URL uses the async driver.
    """
    server = os.environ.get(TEST_DATABASE_ENV)
    database = scratch_postgres(server) if server else _sqlite_database()
    async with database as url:
        if revision is not None:
            await upgrade(url, revision)
        yield url
