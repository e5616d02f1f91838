"""Run the Alembic migrations from code: at app start, from the CLI, from tests.

There is no ``alembic.ini``: :func:`alembic_config` builds the configuration, with the
``migrations`` folder found next to the ``app`` package (in the repo and in the wheel).
Alembic's ``context`` is one module-global proxy, so commands run one at a time, each in a
worker thread with its own event loop and a short-lived engine.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from app.db.engine import create_engine, normalise_url, redacted

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current",
    "downgrade",
    "head",
    "revision",
    "upgrade",
]

log = logging.getLogger("deltallm.db")

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
"""The Alembic script folder (``migrations/`` beside ``app/``)."""

T = TypeVar("T")

_ONE_COMMAND_AT_A_TIME = threading.Lock()


def alembic_config(database_url: str) -> Config:
    """An Alembic :class:`Config` for ``database_url`` (normalised to its async driver)."""
    url = normalise_url(database_url).render_as_string(hide_password=False)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # ConfigParser interpolates "%": escape it (passwords may contain percent-encoding).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if importlib.util.find_spec("ruff") is not None:
        config.set_section_option("post_write_hooks", "hooks", "ruff_format")
        config.set_section_option("post_write_hooks", "ruff_format.type", "module")
        config.set_section_option("post_write_hooks", "ruff_format.module", "ruff")
        config.set_section_option(
            "post_write_hooks", "ruff_format.options", "format REVISION_SCRIPT_FILENAME"
        )
    return config


async def _with_connection(database_url: str, action: Callable[[Connection], T]) -> T:
    """Run ``action`` on a sync connection (via ``run_sync``), commit, dispose."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.run_sync(action)
            await connection.commit()
        return result
    finally:
        await engine.dispose()


def _blocking(database_url: str, action: Callable[[Connection], T]) -> T:
    with _ONE_COMMAND_AT_A_TIME:
        return asyncio.run(_with_connection(database_url, action))


async def _in_thread(database_url: str, action: Callable[[Connection], T]) -> T:
    return await asyncio.to_thread(_blocking, database_url, action)


def _command(config: Config, run: Callable[[Config], None]) -> Callable[[Connection], None]:
    def action(connection: Connection) -> None:
        config.attributes["connection"] = connection
        run(config)

    return action


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``; safe to await inside a running event loop."""
    config = alembic_config(database_url)
    log.info("migrating %s to %s", redacted(database_url), revision)
    await _in_thread(database_url, _command(config, lambda c: command.upgrade(c, revision)))


async def downgrade_async(database_url: str, revision: str) -> None:
    """Revert migrations down to ``revision`` (``"base"`` empties the database)."""
    config = alembic_config(database_url)
    log.info("downgrading %s to %s", redacted(database_url), revision)
    await _in_thread(database_url, _command(config, lambda c: command.downgrade(c, revision)))


def downgrade(database_url: str, revision: str = "-1") -> None:
    """Blocking :func:`downgrade_async`, for the CLI."""
    config = alembic_config(database_url)
    log.info("downgrading %s to %s", redacted(database_url), revision)
    _blocking(database_url, _command(config, lambda c: command.downgrade(c, revision)))


async def current(database_url: str) -> str | None:
    """The revision the database is at, or ``None`` before the first migration."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    return await _with_connection(database_url, read)


def head() -> str:
    """The newest revision in the migrations folder."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    rev = script.get_current_head()
    if rev is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS_DIR}")
    return rev


def _next_revision_id(config: Config) -> str:
    script = ScriptDirectory.from_config(config)
    numbers = [int(s.revision) for s in script.walk_revisions() if s.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def _skip_empty(context: MigrationContext, rev: Any, directives: list[MigrationScript]) -> None:
    script = directives[0]
    ops: Iterable[Any] = script.upgrade_ops_list
    if all(op.is_empty() for op in ops):
        log.info("the models match the database: no revision written")
        directives[:] = []


def revision(message: str, database_url: str) -> None:
    """Autogenerate a numbered revision (``NNNN_<slug>.py``) from the models.

    The database must be at head. Nothing is written when the models match it. Blocking,
    for the CLI and the Justfile.
    """
    config = alembic_config(database_url)
    rev_id = _next_revision_id(config)

    def run(c: Config) -> None:
        command.revision(
            c,
            message=message,
            autogenerate=True,
            rev_id=rev_id,
            process_revision_directives=_skip_empty,
        )

    _blocking(database_url, _command(config, run))
