"""Streams under a budget: count what passes, extend the reservation, end cleanly when out.

Every stream is settled when it ends — finished, failed or abandoned by the client —
with the usage the provider reported, or an estimate from what was relayed.
"""

from __future__ import annotations

import asyncio
import re
from abc import abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from app.errors import DeltaLLMError, RateLimitError
from app.gateway.failures import failure_message
from app.limits.counters import CounterStore
from app.providers.base import ProviderStream, Usage
from app.providers.sse import sse_event
from app.router.routed import RoutedStream
from app.spend.models import SpendStatus

__all__ = ["AnswerStream", "BudgetGuard", "MeteredStream"]

_EVENT_END = re.compile(rb"\r?\n\r?\n")
_DONE = re.compile(rb"(?:\A|\n)(data: ?\[DONE\])")
_EXTEND_TOKENS = 1024


class _Function(msgspec.Struct):
    arguments: str | None = None


class _ToolDelta(msgspec.Struct):
    function: _Function | None = None


class _Delta(msgspec.Struct):
    content: str | None = None
    tool_calls: list[_ToolDelta] | None = None


class _Choice(msgspec.Struct):
    delta: _Delta | None = None
    text: str | None = None


class _Chunk(msgspec.Struct):
    choices: list[_Choice] = []


_decode_chunk = msgspec.json.Decoder(_Chunk).decode


def _events(chunk: bytes) -> list[bytes]:
    """A relayed chunk split into whole SSE events (each keeps its terminator)."""
    out, position = [], 0
    for match in _EVENT_END.finditer(chunk):
        out.append(chunk[position : match.end()])
        position = match.end()
    if position < len(chunk):
        out.append(chunk[position:])
    return out


def _split_done(chunk: bytes) -> tuple[bytes, bytes]:
    """The chunk before its ``data: [DONE]`` event, and that event on (``b""`` if none)."""
    if b"[DONE]" not in chunk:
        return chunk, b""
    match = _DONE.search(chunk)
    if match is None:
        return chunk, b""
    return chunk[: match.start(1)], chunk[match.start(1) :]


def _output_chars(event: bytes) -> int:
    start = event.find(b"{")
    if start < 0:
        return 0
    try:
        chunk = _decode_chunk(event[start:])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return 0
    total = 0
    for choice in chunk.choices:
        total += len(choice.text or "")
        delta = choice.delta
        if delta is not None:
            total += len(delta.content or "")
            for call in delta.tool_calls or []:
                total += len(call.function.arguments or "") if call.function else 0
    return total


@dataclass(slots=True)
class BudgetGuard:
    """What a metered stream may spend: reserved output tokens and the price of more."""

    counters: CounterStore
    reserved_output_tokens: int
    output_price: Decimal
    clock: Callable[[], float]


Settle = Callable[
    [Usage | None, SpendStatus, int, float | None, str | None], Coroutine[Any, Any, None]
]


class AnswerStream(ProviderStream):
    """A stream the gateway answers a caller with: the gateway may end it early."""

    @abstractmethod
    def interrupt(self, error: DeltaLLMError) -> None:
        """The gateway ends the stream before the upstream did: settle it as failed."""


class MeteredStream(AnswerStream):
    def __init__(
        self,
        inner: RoutedStream,
        *,
        prompt_estimate: int,
        guard: BudgetGuard | None,
        reservation: Any,
        settle: Settle,
        spawn: Callable[[Coroutine[Any, Any, None]], Awaitable[None]],
        model_group: str,
        request_id: str,
    ) -> None:
        super().__init__()
        self.inner = inner
        self._prompt_estimate = prompt_estimate
        self._guard = guard
        self._reservation = reservation
        self._settle = settle
        self._spawn = spawn
        self._model_group = model_group
        self._request_id = request_id
        self._chars = 0
        self._events = 0
        self._allowed_tokens = guard.reserved_output_tokens if guard else 0
        self._status = SpendStatus.CANCELLED
        self._status_code = 499
        self._error: str | None = None
        self._settled = False

    def _estimated(self) -> Usage:
        output = max(self._events, -(-self._chars // 4))
        return Usage(prompt_tokens=self._prompt_estimate, completion_tokens=output)

    async def _within_budget(self) -> bool:
        guard = self._guard
        if guard is None or self._reservation is None:
            return True
        while -(-self._chars // 4) > self._allowed_tokens:
            extra = guard.output_price * _EXTEND_TOKENS
            if not await guard.counters.extend(self._reservation, extra, guard.clock()):
                return False
            self._allowed_tokens += _EXTEND_TOKENS
        return True

    def _cut_off(self) -> bytes:
        final = {
            "id": f"chatcmpl-{self._request_id}",
            "object": "chat.completion.chunk",
            "model": self._model_group,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}],
        }
        error = RateLimitError(
            "The budget ran out during this stream; it was ended early.",
            code="budget_exceeded",
        )
        return sse_event(msgspec.json.encode(final)) + sse_event(
            msgspec.json.encode(error.to_body())
        )

    async def _relay(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                self._mark_first_chunk()
                chunk, done = _split_done(chunk)
                if self._guard is None:
                    self._count(chunk)
                    if chunk:
                        yield chunk
                else:
                    # Under a budget, events pass one at a time up to what is paid for.
                    for event in _events(chunk):
                        self._count(event)
                        if not await self._within_budget():
                            self._status, self._status_code = SpendStatus.OK, 200
                            yield self._cut_off()
                            await self._settle_before_the_end()
                            return
                        yield event
                if done:
                    self._status, self._status_code = SpendStatus.OK, 200
                    await self._settle_before_the_end()
                    yield done
            self._status, self._status_code = SpendStatus.OK, 200
            await self.inner.aclose()
            await self._settle_before_the_end()
        except DeltaLLMError as exc:
            self._status, self._status_code = SpendStatus.ERROR, exc.status_code
            self._error = failure_message(exc)
            raise
        finally:
            await self.aclose()

    async def _settle_before_the_end(self) -> None:
        """Settle before the caller sees the answer end (``[DONE]``, or the body's end):
        once it has the whole stream, its cost is recorded (with Redis, in the durable
        stream) even if this process dies the next moment. A caller leaving meanwhile
        cannot cancel the settlement."""
        settled = self._settle_once()
        if settled is not None:
            await asyncio.shield(settled)

    def _count(self, data: bytes) -> None:
        for event in _EVENT_END.split(data):
            if event.startswith(b"data: {"):
                self._events += 1
                self._chars += _output_chars(event)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._relay()

    def interrupt(self, error: DeltaLLMError) -> None:
        """The gateway ends the stream before the upstream did: settle it as failed."""
        self._status, self._status_code = SpendStatus.ERROR, error.status_code
        self._error = failure_message(error)

    async def aclose(self) -> None:
        await self.inner.aclose()
        self._settle_once()

    def _settle_once(self) -> Awaitable[None] | None:
        """Start the settlement in a task of its own, the first time only."""
        if self._settled:
            return None
        self._settled = True
        usage = self.inner.usage
        if usage is None and (self._events or self._status is SpendStatus.CANCELLED):
            usage = self._estimated()
        self.usage = usage
        return self._spawn(
            self._settle(usage, self._status, self._status_code, self.first_chunk_at, self._error)
        )
