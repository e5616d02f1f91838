"""What every cache backend offers; failures surface as :class:`CacheBackendError` only."""

from __future__ import annotations

from typing import Protocol

__all__ = ["CacheBackend", "CacheBackendError"]


class CacheBackendError(Exception):
    """The backend could not answer; the request goes on uncached."""


class CacheBackend(Protocol):
    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value``; backends with expiry drop it after ``ttl`` seconds."""

    async def delete(self, key: str) -> None: ...

    async def flush(self) -> int:
        """Delete every entry under this cache's namespace; how many (or -1: unknown)."""

    async def lock(self, key: str, ttl: float) -> bool:
        """Claim the right to compute ``key`` across instances (True where unsupported)."""

    async def unlock(self, key: str) -> None: ...

    async def locked(self, key: str) -> bool: ...

    async def aclose(self) -> None: ...
