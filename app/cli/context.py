"""What CLI commands share with ``serve``: settings, the database and the invalidation channel."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import click
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import create_engine, session_factory
from app.errors import ConfigError
from app.keys.invalidation import DatabaseInvalidator, Invalidator, RedisInvalidator
from app.keys.service import KeyService
from app.settings import Settings, load_settings

__all__ = ["CliContext", "cli_context", "fail", "load_cli_settings"]


def fail(message: str) -> None:
    """One line on stderr and a non-zero exit: how every CLI error ends."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def load_cli_settings(config: str | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        click.echo("error: invalid configuration:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)


@dataclass
class CliContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    invalidator: Invalidator
    keys: KeyService


@asynccontextmanager
async def cli_context(config: str | None) -> AsyncIterator[CliContext]:
    """Settings, a migrated database and the same invalidation channel ``serve`` listens on."""
    settings = load_cli_settings(config)
    url = settings.database_url.get_secret_value()
    if settings.run_migrations_on_start:
        from app.db.migrate import upgrade  # Alembic only where it runs

        await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    client = (
        aioredis.from_url(settings.redis_url.get_secret_value()) if settings.redis_url else None
    )
    namespace = settings.config.general_settings.redis_namespace
    invalidator: Invalidator = (
        RedisInvalidator(client, channel=f"{namespace}:keys:invalidate")
        if client is not None
        else DatabaseInvalidator(sessions)
    )
    try:
        yield CliContext(
            settings,
            sessions,
            invalidator,
            KeyService(sessions, settings.salt_key.get_secret_value(), invalidator),
        )
    finally:
        if client is not None:
            await client.aclose()
        await engine.dispose()
