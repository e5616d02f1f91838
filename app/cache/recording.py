"""A routed stream that is recorded while it is relayed, and stored once it is complete
(before ``[DONE]`` reaches the caller, so the next identical request finds it). A failed,
cut or abandoned stream is never stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from app.cache.assemble import StreamAssembler
from app.cache.messages_stream import MessagesAssembler
from app.cache.responses_stream import ResponsesAssembler
from app.providers.base import ProviderStream, Usage
from app.router.routed import RoutedStream

__all__ = ["RecordingStream"]

Store = Callable[[bytes | None, Usage | None], Awaitable[None]]


class RecordingStream(RoutedStream):
    """Relays ``inner`` unchanged; ``store`` is called exactly once: with the assembled
    answer when the stream completed, else with None."""

    def __init__(self, inner: RoutedStream, *, kind: str, store: Store, limit: int) -> None:
        ProviderStream.__init__(self)
        self.inner = inner
        self.deployment = inner.deployment
        self.model_group = inner.model_group
        self._assembler: StreamAssembler | MessagesAssembler | ResponsesAssembler
        if kind == "messages":
            self._assembler = MessagesAssembler()
        elif kind == "responses":
            self._assembler = ResponsesAssembler()
        else:
            self._assembler = StreamAssembler(kind == "chat")
        self._store: Store | None = store
        self._left = limit
        """Relayed bytes still recorded: past them the stream is relayed but not kept."""

    async def _finish(self, complete: bool) -> None:
        store, self._store = self._store, None
        if store is None:
            return
        usage = self.inner.usage
        await store(self._assembler.answer(usage) if complete else None, usage)

    async def _relay(self) -> AsyncIterator[bytes]:
        completed = False
        try:
            async for chunk in self.inner:
                self.first_chunk_at = self.first_chunk_at or self.inner.first_chunk_at
                self.usage = self.inner.usage
                self._left -= len(chunk)
                if self._left >= 0:
                    self._assembler.feed(chunk)
                else:
                    self._assembler.broken = True
                if self._assembler.done:
                    await self._finish(True)
                yield chunk
            completed = True
        finally:
            self.usage = self.inner.usage
            await self._finish(completed)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._relay()

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            self.usage = self.usage or self.inner.usage
            await self._finish(False)
