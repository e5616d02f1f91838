"""``post_call`` on streamed answers, under the metered stream (so settlement sees it).

By default chunks pass as they come and the assembled text is checked at the end, before
the stream's last event: what the check finds then can no longer be stopped, so it is
logged and noted in the request log, never reported as a block. With ``stream_hold`` the
whole answer is read and checked before the caller gets its first byte; a block then
answers 400 like any other. Masked values are restored (``output_parse_pii``) event by
event where a placeholder arrives whole in one event.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import msgspec

from app.errors import DeltaLLMError
from app.gateway_settings.guardrail_policy import GuardrailMode
from app.guardrails.restore import StreamRestorer
from app.guardrails.texts import Slot
from app.providers.base import Operation, ProviderStream
from app.router.routed import RoutedStream

if TYPE_CHECKING:
    from app.guardrails.run import GuardRun

__all__ = ["GuardedStream"]

log = logging.getLogger("deltallm.guardrails")
_DATA = re.compile(rb"^data: ?(\{.*)$", re.MULTILINE)


def _event_text(event: Any) -> str:
    """The answer text one decoded SSE event carries (OpenAI, Anthropic or Responses)."""
    if not isinstance(event, dict):
        return ""
    out = []
    for choice in event.get("choices") or []:
        if isinstance(choice, dict):
            delta = choice.get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                out.append(delta["content"])
            if isinstance(choice.get("text"), str):
                out.append(choice["text"])
    delta = event.get("delta")
    if isinstance(delta, dict) and isinstance(delta.get("text"), str):
        out.append(delta["text"])
    if event.get("type") == "response.output_text.delta" and isinstance(delta, str):
        out.append(delta)
    return "".join(out)


class GuardedStream(ProviderStream):
    def __init__(self, inner: ProviderStream, run: GuardRun) -> None:
        super().__init__()
        self.inner = inner
        self._run = run
        self._guards = run.by_mode[GuardrailMode.POST_CALL]
        self._hold = any(g.policy.stream_hold for g in self._guards)
        self._text: list[str] = []
        self._held: list[bytes] | None = None
        openai = run.op in (Operation.CHAT, Operation.COMPLETION)
        self._restorer = StreamRestorer(run.restore) if run.restore and openai else None

    @classmethod
    async def wrap(cls, routed: RoutedStream, run: GuardRun) -> None:
        """Put the checks under ``routed``; with ``stream_hold``, read and check it all now."""
        guarded = cls(routed.inner, run)
        routed.inner = guarded
        if guarded._hold:
            try:
                await guarded._prefetch()
            except BaseException:
                await routed.aclose()
                raise

    def _tap(self, chunk: bytes) -> bytes:
        for match in _DATA.finditer(chunk):
            try:
                self._text.append(_event_text(msgspec.json.decode(match.group(1))))
            except msgspec.DecodeError:
                continue
        if self._restorer is not None:
            return self._restorer.event(chunk)
        restore = self._run.restore  # Anthropic and Responses events: whole tokens only
        if restore and b"<" in chunk:
            for token, value in restore.items():
                chunk = chunk.replace(token.encode(), msgspec.json.encode(value)[1:-1])
        return chunk

    async def _prefetch(self) -> None:
        self._held = [self._tap(chunk) async for chunk in self.inner]
        self.usage, self.first_chunk_at = self.inner.usage, self.inner.first_chunk_at
        await self._check(final=False)

    async def _check(self, *, final: bool) -> None:
        slots = [Slot(["".join(self._text)], 0, "assistant")]
        for guard in self._guards:
            if not final:
                await self._run.check(guard, slots, "answer")
                continue
            try:
                verdict = await self._run.check(guard, slots, "answer", late=True)
            except DeltaLLMError:
                self._late(guard.name, "could not check")
                continue
            if verdict.blocked or verdict.texts is not None:
                self._late(
                    guard.name, "would have blocked" if verdict.blocked else "would have masked"
                )
                return

    def _late(self, name: str, what: str) -> None:
        self._run.noted(
            f"Guardrail {name} {what} this streamed answer, but it had already been sent."
        )

    async def _relay(self) -> AsyncIterator[bytes]:
        if self._held is not None:
            for chunk in self._held:
                yield chunk
            return
        checked = False
        async for chunk in self.inner:
            self.first_chunk_at = self.first_chunk_at or self.inner.first_chunk_at
            self.usage = self.inner.usage
            out = self._tap(chunk)
            if b"[DONE]" in chunk and not checked:
                checked = True
                await self._check(final=True)
            yield out
        self.usage = self.inner.usage
        if not checked:
            await self._check(final=True)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._relay()

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.usage = self.inner.usage or self.usage
        self.first_chunk_at = self.first_chunk_at or self.inner.first_chunk_at
