"""Statements that differ by dialect: ``INSERT ... ON CONFLICT`` and locking for a change.

A rule checked before a change ("an organization keeps an owner", "one code, one
sign-in") holds only if nothing it read can change before the commit. PostgreSQL locks
the rows read with ``FOR UPDATE``. SQLite has no row locks and its driver opens a
transaction only at the first write, so reads before it lock nothing: there
:func:`lock_for_change` takes the database's write lock (``BEGIN IMMEDIATE``) before the
transaction reads, and concurrent changes run one after the other.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["dialect_insert", "get_for_update", "lock_for_change", "table_of"]

_Row = TypeVar("_Row", bound=SQLModel)


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


async def lock_for_change(session: AsyncSession) -> None:
    """On SQLite, hold the write lock from now to the end of the session's transaction
    (a no-op once the transaction has written, and on PostgreSQL)."""
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = await connection.get_raw_connection()
    if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


async def get_for_update(session: AsyncSession, model: type[_Row], ident: str) -> _Row | None:
    """The row, locked until the transaction ends (SQLite: the whole database)."""
    await lock_for_change(session)
    return await session.get(model, ident, with_for_update=True)
