"""Stored responses: kept per key for ``previous_response_id``, ``GET`` and ``DELETE``.

A response is written before its answer ends (the JSON body is sent, or the stream's
final event is relayed), so a follow-up turn sent right after finds it. Rows hold prompt
text; expired ones are purged in small batches under the ``responses-retention`` lease,
once per interval across the cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cluster.jobs import LeasedJob
from app.cluster.lease import DatabaseLeases, LeaseStore
from app.db.types import utcnow
from app.errors import NotFoundError
from app.responses.models import StoredResponse
from app.responses.settings import ResponsesStoreSettings

__all__ = ["MASTER_OWNER", "ResponseStore"]

log = logging.getLogger("deltallm.responses")

MASTER_OWNER = "master"


def _not_found(response_id: str) -> NotFoundError:
    return NotFoundError(
        f"No response found with id '{response_id}'.", param="response_id", code="not_found"
    )


class ResponseStore:
    """Reads and writes ``stored_responses``; one per process when the store is enabled."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: ResponsesStoreSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        leases: LeaseStore | None = None,
    ) -> None:
        self._sessions = sessions
        self._age = timedelta(days=settings.retention_days)
        self.clock = clock
        self.job = LeasedJob(
            "responses-retention",
            self.purge,
            settings.purge_interval,
            leases or DatabaseLeases(sessions),
        )

    async def start(self) -> None:
        await self.job.start()

    async def stop(self) -> None:
        await self.job.stop()

    async def save(self, owner: str, conversation: list[Any], response: dict[str, Any]) -> None:
        now = self.clock()
        row = StoredResponse(
            id=str(response["id"]),
            owner=owner,
            conversation=conversation,
            response=response,
            created_at=now,
            expires_at=now + self._age,
        )
        async with self._sessions() as session, session.begin():
            await session.merge(row)

    async def get(self, owner: str | None, response_id: str) -> StoredResponse:
        """The stored response, if ``owner`` may see it (``None``: any owner)."""
        async with self._sessions() as session:
            row = await session.get(StoredResponse, response_id)
        if row is None or row.expires_at <= self.clock():
            raise _not_found(response_id)
        if owner is not None and row.owner != owner:
            raise _not_found(response_id)
        return row

    async def delete(self, owner: str | None, response_id: str) -> None:
        await self.get(owner, response_id)
        async with self._sessions() as session, session.begin():
            await session.exec(delete(StoredResponse).where(col(StoredResponse.id) == response_id))

    async def purge(self, batch_size: int = 1000) -> int:
        """Delete expired responses; returns how many were deleted."""
        deleted = 0
        now = self.clock()
        while True:
            async with self._sessions() as session, session.begin():
                query = select(StoredResponse.id).where(col(StoredResponse.expires_at) <= now)
                ids = list((await session.exec(query.limit(batch_size))).all())
                if ids:
                    await session.exec(
                        delete(StoredResponse).where(col(StoredResponse.id).in_(ids))
                    )
            deleted += len(ids)
            if len(ids) < batch_size:
                if deleted:
                    log.info("deleted %d expired stored responses", deleted)
                return deleted
