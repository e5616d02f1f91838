"""Recording administrative changes: who, what, which object, before and after, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import ActorType, AuditLog
from app.db.pagination import Page, paginate

__all__ = ["SECRET_FIELDS", "Actor", "audit_page", "record", "record_now", "snapshot"]

SECRET_FIELDS = frozenset(
    {"key_hash", "previous_key_hash", "password_hash", "mfa_secret_encrypted", "api_key"}
)


@dataclass(frozen=True, slots=True)
class Actor:
    type: ActorType
    id: str | None
    request_id: str | None = None


def snapshot(row: Any) -> dict[str, Any]:
    """A JSON-safe copy of a table row without secrets."""
    values = row.model_dump(mode="json")
    return {k: v for k, v in values.items() if k not in SECRET_FIELDS}


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | None,
    *,
    org_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Add the audit row to ``session``: it commits (or rolls back) with the change itself."""
    session.add(
        AuditLog(
            actor_type=actor.type,
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            org_id=org_id,
            before=before,
            after=after,
            request_id=actor.request_id,
            reason=reason,
        )
    )


async def audit_page(
    sessions: async_sessionmaker[AsyncSession],
    org_ids: frozenset[str] | None,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    actor_id: str | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    first: int = 50,
    after: str | None = None,
    newest_first: bool = True,
    count: bool = True,
) -> Page[AuditLog]:
    """Audit rows of these organizations (every row when None), newest first unless asked.

    ``action`` is one action (``key.create``) or, ending in a dot, a family (``key.``);
    ``start`` is inclusive, ``end`` exclusive.
    """
    query = select(AuditLog)
    if org_ids is not None:
        query = query.where(col(AuditLog.org_id).in_(org_ids))
    if target_type is not None:
        query = query.where(AuditLog.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditLog.target_id == target_id)
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    if action is not None and action.endswith("."):
        query = query.where(col(AuditLog.action).startswith(action, autoescape=True))
    elif action is not None:
        query = query.where(AuditLog.action == action)
    if start is not None:
        query = query.where(col(AuditLog.created_at) >= start)
    if end is not None:
        query = query.where(col(AuditLog.created_at) < end)
    async with sessions() as session:
        return await paginate(
            session,
            query,
            AuditLog,
            first=first,
            after=after,
            newest_first=newest_first,
            count=count,
        )


async def record_now(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | None,
    **details: Any,
) -> None:
    """Record a change another service already committed (its own transaction)."""
    async with sessions() as session, session.begin():
        record(session, actor, action, target_type, target_id, **details)
