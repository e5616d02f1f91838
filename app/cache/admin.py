"""Emptying the response cache (platform admins, through the API), audited."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import Actor, record
from app.cache.backends.base import CacheBackendError
from app.cache.service import ResponseCache
from app.errors import BadRequestError

__all__ = ["flush_cache"]


async def flush_cache(
    cache: ResponseCache | None, sessions: async_sessionmaker[AsyncSession], actor: Actor
) -> int:
    """Delete every entry under the cache's namespace; how many (-1 when unknown).

    The in-memory backend is this instance's own: other instances keep theirs until
    their entries expire. With the cache off there is nothing to delete (0).
    """
    deleted, backend, namespace = 0, None, None
    if cache is not None:
        backend, namespace = cache.backend.name, cache.settings.namespace
        try:
            deleted = await cache.flush()
        except CacheBackendError as exc:
            raise BadRequestError(
                f"The {backend} cache could not be emptied: {exc}.", code="cache_unavailable"
            ) from None
    async with sessions() as session, session.begin():
        record(
            session,
            actor,
            "settings.cache.flush",
            "settings",
            "cache",
            after={"backend": backend, "namespace": namespace, "deleted": deleted},
        )
    return deleted
