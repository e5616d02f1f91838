"""An in-process LRU bounded in bytes: the embedded default's cache."""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """Least recently used entries leave first once ``max_bytes`` would be exceeded."""

    name = "local"

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if len(value) > self.max_bytes:
            return
        await self.delete(key)
        self._entries[key] = value
        self.size += len(value)
        while self.size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.size -= len(evicted)

    async def delete(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old)

    async def flush(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        self.size = 0
        return count

    async def lock(self, key: str, ttl: float) -> bool:
        return True

    async def unlock(self, key: str) -> None:
        return None

    async def locked(self, key: str) -> bool:
        return False

    async def aclose(self) -> None:
        return None
