"""The ``stored_responses`` table: Responses API answers kept for follow-up turns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.db.columns import json_field, time_field

__all__ = ["StoredResponse"]


class StoredResponse(SQLModel, table=True):
    """One response with the conversation that led to it (prompt text included).

    ``owner`` is the id of the key that created it (``master`` for the master key); only
    that key, or the master key, may read or delete it."""

    __tablename__ = "stored_responses"
    __table_args__ = (Index("ix_stored_responses_expires_at", "expires_at"),)

    id: str = Field(sa_type=String(128), primary_key=True)
    owner: str = Field(sa_type=String(64))
    conversation: list[Any] = json_field(list)
    """Every input item of the conversation up to this response (earlier turns first)."""
    response: dict[str, Any] = json_field(dict)
    created_at: datetime = time_field(nullable=False)
    expires_at: datetime = time_field(nullable=False)
