"""Persistence infrastructure: the async engine, sessions, column types and migrations.

Table models live in their domains (``app/<domain>/models.py``); ``app.db.models``
imports them all for Alembic. This package never imports a domain.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

# Imported first for its side effect: the constraint naming convention on the metadata.
from app.db import columns as columns
from app.db.engine import create_engine, ping, session_factory
from app.db.types import JSONType, Money, StrEnumType, UTCDateTime, new_id, utcnow

__all__ = [
    "AsyncSession",
    "JSONType",
    "Money",
    "StrEnumType",
    "UTCDateTime",
    "create_engine",
    "new_id",
    "ping",
    "session_factory",
    "utcnow",
]
