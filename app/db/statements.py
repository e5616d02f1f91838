"""Core statements that differ by dialect: ``INSERT ... ON CONFLICT`` on both databases."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["dialect_insert", "table_of"]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def dialect_insert(session: AsyncSession, model: type[SQLModel]) -> PgInsert | SqliteInsert:
    """An INSERT with ``ON CONFLICT`` and ``RETURNING`` for the session's dialect."""
    bind = session.bind
    postgres = bind is not None and bind.dialect.name == "postgresql"
    return pg_insert(table_of(model)) if postgres else sqlite_insert(table_of(model))
