"""Telling a database that cannot be reached (down, restarting, out of connections, the pool
exhausted) from a bug, so callers get a 503 / ``UNAVAILABLE`` naming the cause instead of an
internal error, and the log gets one warning per interval instead of a traceback per call."""

from __future__ import annotations

import logging
import time

import asyncpg
from sqlalchemy import exc as sa_exc

__all__ = ["DATABASE_UNAVAILABLE", "database_unreachable", "warn_unreachable"]

log = logging.getLogger("deltallm.db")

DATABASE_UNAVAILABLE = (
    "The gateway's database cannot be reached right now; try again shortly. Calls with keys "
    "already known to the gateway are still served."
)
_WARN_EVERY_S = 10.0
_warned_at: float | None = None
# Built-in errors any socket can raise: they mean the database only when a database
# driver raised them (a webhook or an identity provider refusing a connection does not).
_SOCKET = (ConnectionError, TimeoutError)  # refused, reset, aborted, timed out
_DRIVERS = ("sqlalchemy.", "sqlmodel.", "asyncpg.", "aiosqlite.")
_CONNECTIVITY = (
    sa_exc.TimeoutError,  # no free connection in the pool in time
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
)


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the database could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (sa_exc.InterfaceError, *_CONNECTIVITY)):
            return True
        if isinstance(current, _SOCKET) and _raised_by_driver(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _raised_by_driver(exc: BaseException) -> bool:
    """Whether a frame of a database driver (or of SQLAlchemy) is on ``exc``'s traceback."""
    frames = exc.__traceback__
    while frames is not None:
        if str(frames.tb_frame.f_globals.get("__name__", "")).startswith(_DRIVERS):
            return True
        frames = frames.tb_next
    return False


def warn_unreachable(exc: BaseException, where: str) -> None:
    """Log that the database is unreachable, at most once per interval, without a traceback."""
    global _warned_at
    now = time.monotonic()
    if _warned_at is None or now - _warned_at >= _WARN_EVERY_S:
        _warned_at = now
        log.warning("database unreachable (%s: %s) in %s", type(exc).__name__, exc, where)
