"""The async engine and session factory for SQLite (embedded) and PostgreSQL.

SQLite connections get ``foreign_keys=ON``, WAL journaling and a busy timeout; PostgreSQL
gets a bounded pool with pre-ping. URLs are normalised to the async drivers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "create_engine",
    "is_sqlite",
    "normalise_url",
    "ping",
    "redacted",
    "session_factory",
]

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite connection waits for another writer's lock before failing."""

_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


def normalise_url(database_url: str | URL) -> URL:
    """The URL with its async driver: ``postgres(ql)://`` → asyncpg, ``sqlite://`` → aiosqlite.

    Raises ``ValueError`` for any other database (the message never includes a password).
    """
    url = make_url(database_url)
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database URL scheme {url.drivername!r}: use sqlite or postgresql"
        )
    return url.set(drivername=driver)


def redacted(database_url: str | URL) -> str:
    """The URL with its password masked, safe for logs and error messages."""
    return make_url(database_url).render_as_string(hide_password=True)


def is_sqlite(database_url: str | URL) -> bool:
    """Whether the URL points at SQLite."""
    return make_url(database_url).get_backend_name() == "sqlite"


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine(
    database_url: str | URL,
    *,
    pool_size: int = 10,
    pool_timeout: float = 30.0,
    query_timeout: float | None = None,
) -> AsyncEngine:
    """An :class:`AsyncEngine` for SQLite (aiosqlite) or PostgreSQL (asyncpg).

    SQLite files use a small pool: WAL lets readers run beside one writer and the busy
    timeout queues writers. ``:memory:`` shares one connection (``StaticPool``).
    PostgreSQL holds at most ``pool_size`` connections (no overflow, so that the sizing
    rule pool x workers x instances <= ``max_connections`` holds); a caller waits up to
    ``pool_timeout`` seconds for one, and a connection attempt or a
    statement fails after ``query_timeout`` seconds (None: asyncpg's defaults, no limit on
    statements).
    """
    url = normalise_url(database_url)
    if url.get_backend_name() == "sqlite":
        if _is_memory(url):
            engine = create_async_engine(url, poolclass=StaticPool)
        else:
            engine = create_async_engine(url, pool_size=5, max_overflow=5, pool_timeout=30)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    timeouts = {"timeout": query_timeout, "command_timeout": query_timeout} if query_timeout else {}
    return create_async_engine(
        url,
        connect_args=timeouts,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to ``engine``; objects stay readable after commit.

    These are SQLModel sessions: use ``session.exec(statement)`` (``execute`` is
    deprecated there and warns).
    """
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Run ``SELECT 1``; raises if the database cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
