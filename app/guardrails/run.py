"""One call's guardrails: before the upstream, beside it, and on its answer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from app.errors import DeltaLLMError
from app.gateway.settlement import CallFacts
from app.gateway_settings.guardrail_policy import GuardrailMode
from app.guardrails.base import Guard, Verdict, apply_spans
from app.guardrails.errors import APPLIED_HEADER, GuardrailViolation
from app.guardrails.stream import GuardedStream
from app.guardrails.texts import Slot, answer_slots, answer_text, request_slots
from app.providers.base import Operation, ProviderResult
from app.router.routed import RoutedResult, RoutedStream

__all__ = ["GuardRun", "Observe"]

T = TypeVar("T")
Observe = Callable[[str, str, str, float], None]
"""(guardrail, mode, outcome, seconds): a metrics sink."""

log = logging.getLogger("deltallm.guardrails")


class GuardRun:
    """The guardrails of one call, grouped by mode."""

    def __init__(self, guards: list[Guard], op: Operation, observe: Observe | None) -> None:
        self.names = tuple(g.name for g in guards)
        self.op = op
        self._observe = observe
        self.by_mode: dict[GuardrailMode, list[Guard]] = {m: [] for m in GuardrailMode}
        for guard in guards:
            self.by_mode[guard.policy.mode].append(guard)
        self.restore: dict[str, str] = {}
        self.rewrites: dict[str, str] = {}
        """Texts ``pre_call`` masked, by their original: stored copies are masked alike."""
        self.facts: CallFacts | None = None
        self.refused = False
        """A guardrail refused the call: its prompt is never recorded anywhere."""
        self._logged_body: Any = None
        self._logged_answer: bytes | None = None

    @property
    def masks_records(self) -> bool:
        return bool(self.by_mode[GuardrailMode.LOGGING_ONLY])

    def logged(self, body: Any) -> Any:
        """The request as traces may record it."""
        return self._logged_body if self._logged_body is not None else body

    def logged_answer(self, content: bytes) -> bytes:
        """The answer as traces may record it."""
        return self._logged_answer if self._logged_answer is not None else content

    def redact(self, message: str) -> str:
        """``message`` (an error for the request log) as ``logging_only`` guardrails mask
        it; one that cannot look at once (a remote service) leaves a placeholder."""
        for guard in self.by_mode[GuardrailMode.LOGGING_ONLY]:
            spans = guard.find_now(message)
            if spans is None:
                return f"[error message withheld by guardrail {guard.name}]"
            verdict = apply_spans([message], [spans], guard.policy)
            message = verdict.texts[0] if verdict.texts else message
        return message

    def noted(self, note: str) -> None:
        """A check on a streamed answer found something it could no longer stop."""
        log.warning("%s", note)
        if self.facts is not None:
            self.facts.guardrail_note = note

    async def check(
        self, guard: Guard, slots: list[Slot], where: str, *, late: bool = False
    ) -> Verdict:
        """Run ``guard`` over ``slots``; a block raises; a mask rewrites the slots. ``late``:
        the text was already sent, so nothing is blocked or rewritten (``unstopped``)."""
        started = time.perf_counter()
        mode = guard.policy.mode.value
        try:
            verdict = await guard.check([s.text for s in slots], [s.role for s in slots])
        except DeltaLLMError as exc:
            self._count(guard.name, mode, "unreachable", started)
            exc.headers[APPLIED_HEADER] = ",".join(self.names)
            raise
        outcome = "blocked" if verdict.blocked else "masked" if verdict.texts else "pass"
        if late:
            self._count(guard.name, mode, "pass" if outcome == "pass" else "unstopped", started)
            return verdict
        self._count(
            guard.name,
            mode,
            "flagged" if verdict.flagged and outcome == "pass" else outcome,
            started,
        )
        if verdict.blocked:
            self.refused = True
            raise GuardrailViolation(guard.name, verdict.blocked, applied=self.names, where=where)
        if verdict.texts is not None:
            for slot, text in zip(slots, verdict.texts, strict=True):
                if text != slot.text:
                    was = [o for o, m in self.rewrites.items() if m == slot.text]
                    self.rewrites[was[0] if was else slot.text] = text
                slot.replace(text)
            self.restore.update(verdict.restore if guard.policy.output_parse_pii else {})
        return verdict

    def _count(self, name: str, mode: str, outcome: str, started: float) -> None:
        if self._observe is not None:
            self._observe(name, mode, outcome, time.perf_counter() - started)

    async def before(self, body: dict[str, Any]) -> None:
        """``pre_call``: mask the body in place, or raise on a block."""
        guards = self.by_mode[GuardrailMode.PRE_CALL]
        if guards:
            slots = request_slots(self.op, body)
            for guard in guards:
                await self.check(guard, slots, "request")
        if self.masks_records:
            self._logged_body = await self._masked_copy(body, request_slots)

    async def _masked_copy(
        self, data: Any, slots_of: Callable[[Operation, Any], list[Slot]]
    ) -> Any:
        """A copy of ``data`` with what ``logging_only`` guardrails find masked."""
        copy = msgspec.json.decode(msgspec.json.encode(data))
        slots = slots_of(self.op, copy)
        for guard in self.by_mode[GuardrailMode.LOGGING_ONLY]:
            try:
                await self.check(guard, slots, "record")
            except DeltaLLMError as exc:  # a service that only flags cannot mask a record
                log.warning("guardrail %s on a record: %s", guard.name, exc.code)
        return copy

    async def during(self, body: dict[str, Any], routing: Awaitable[T]) -> T:
        """``during_call`` checks beside the upstream call; the answer waits for them, and
        a block cancels the upstream call (or closes the stream it opened)."""
        guards = self.by_mode[GuardrailMode.DURING_CALL]
        if not guards:
            return await self._opened(await routing)
        # The checks read a copy: nothing they do may change what is already sent.
        slots = request_slots(self.op, msgspec.json.decode(msgspec.json.encode(body)))
        upstream = asyncio.ensure_future(routing)
        try:
            for guard in guards:
                verdict = await self.check(guard, slots, "request")
                if verdict.texts is not None:
                    log.info("guardrail %s runs during the call: it cannot mask", guard.name)
        except BaseException:
            upstream.cancel()
            await asyncio.wait([upstream])
            if not upstream.cancelled() and upstream.exception() is None:
                opened = upstream.result()
                if isinstance(opened, RoutedStream):
                    await opened.aclose()
            raise
        return await self._opened(await upstream)

    async def _opened(self, answer: T) -> T:
        """An opened stream gets the ``post_call`` checks (and restoring) under it."""
        if isinstance(answer, RoutedStream) and (
            self.by_mode[GuardrailMode.POST_CALL] or self.restore
        ):
            await GuardedStream.wrap(answer, self)
        return answer

    async def kept(self, items: list[Any], answer: Any) -> tuple[list[Any], Any]:
        """Copies of a conversation and its answer as they may be stored: what ``pre_call``
        masked is masked there too, and ``logging_only`` guardrails mask what they find."""
        copy = msgspec.json.decode(msgspec.json.encode({"input": items, "answer": answer}))
        slots = request_slots(Operation.RESPONSES, {"input": copy["input"]})
        slots += answer_slots(Operation.RESPONSES, copy["answer"])
        for slot in slots:
            slot.replace(self.rewrites.get(slot.text, slot.text))
        for guard in self.by_mode[GuardrailMode.LOGGING_ONLY]:
            try:
                await self.check(guard, slots, "record")
            except DeltaLLMError as exc:  # a service that only flags cannot mask a record
                log.warning("guardrail %s on a stored record: %s", guard.name, exc.code)
        return copy["input"], copy["answer"]

    async def after(self, routed: RoutedResult) -> None:
        """``post_call`` on a whole answer, then the masked values restored for the caller."""
        guards = self.by_mode[GuardrailMode.POST_CALL]
        if self.masks_records:
            answer, _ = answer_text(self.op, routed.result.content)
            copy = await self._masked_copy(answer, answer_slots)
            self._logged_answer = msgspec.json.encode(copy)
        if not guards and not self.restore:
            return
        answer, slots = answer_text(self.op, routed.result.content)
        if not slots:
            return
        before = [s.text for s in slots]
        for guard in guards:
            await self.check(guard, slots, "answer")
        for slot in slots:
            slot.replace(restored(slot.text, self.restore))
        if [s.text for s in slots] != before:
            result = routed.result
            routed.result = ProviderResult(
                msgspec.json.encode(answer), result.media_type, result.usage, result.headers
            )


def restored(text: str, restore: dict[str, str]) -> str:
    """``text`` with every placeholder put back to the value it replaced."""
    if not restore or "<" not in text:
        return text
    for token, value in restore.items():
        text = text.replace(token, value)
    return text
