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
    their entries expire.
    """
    if cache is None:
        raise BadRequestError("The response cache is not enabled.", code="cache_disabled")
    try:
        deleted = await cache.flush()
    except CacheBackendError as exc:
        raise BadRequestError(
            f"The {cache.backend.name} cache could not be emptied: {exc}.",
            code="cache_unavailable",
        ) from None
    namespace = cache.settings.namespace
    async with sessions() as session, session.begin():
        record(
            session,
            actor,
            "settings.cache.flush",
            "settings",
            "cache",
            after={"backend": cache.backend.name, "namespace": namespace, "deleted": deleted},
        )
    return deleted
