"""The text a call sends upstream, as slots a guardrail can read and rewrite in place.

Chat and Anthropic messages (string content or ``text`` parts, the ``system`` prompt),
completion prompts, embedding inputs and Responses ``input`` / ``instructions``. Token
arrays and images carry no text to check.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, MutableSequence
from dataclasses import dataclass
from typing import Any

import msgspec

from app.providers.base import Operation

__all__ = ["Slot", "answer_slots", "answer_text", "request_slots"]

_Holder = MutableMapping[str, Any] | MutableSequence[Any]


@dataclass(slots=True)
class Slot:
    """One string inside a request body, replaceable in place."""

    holder: _Holder
    key: Any
    role: str = "user"

    @property
    def text(self) -> str:
        value: str = self.holder[self.key]
        return value

    def replace(self, text: str) -> None:
        self.holder[self.key] = text


def _content(holder: _Holder, key: Any, role: str) -> Iterator[Slot]:
    value = holder[key]
    if isinstance(value, str):
        yield Slot(holder, key, role)
    elif isinstance(value, list):
        for part in value:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                if part.get("type") in (None, "text", "input_text", "output_text"):
                    yield Slot(part, "text", role)
            elif isinstance(part, dict) and "content" in part:
                yield from _content(part, "content", role)


def _messages(items: Any) -> Iterator[Slot]:
    if not isinstance(items, list):
        return
    for message in items:
        if isinstance(message, dict) and "content" in message:
            yield from _content(message, "content", str(message.get("role") or "user"))


def _strings(holder: MutableMapping[str, Any], key: str) -> Iterator[Slot]:
    value = holder.get(key)
    if isinstance(value, str):
        yield Slot(holder, key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield Slot(value, index)


def request_slots(op: Operation, body: dict[str, Any]) -> list[Slot]:
    """Every text the call sends upstream, in order."""
    if op is Operation.CHAT:
        return list(_messages(body.get("messages")))
    if op is Operation.COMPLETION:
        return list(_strings(body, "prompt"))
    if op is Operation.EMBEDDING:
        return list(_strings(body, "input"))
    if op is Operation.MESSAGES:
        system = list(_content(body, "system", "system")) if "system" in body else []
        return system + list(_messages(body.get("messages")))
    if op is Operation.RESPONSES:
        slots = (
            [Slot(body, "instructions", "system")]
            if isinstance(body.get("instructions"), str)
            else []
        )
        if isinstance(body.get("input"), str):
            return [*slots, Slot(body, "input")]
        return slots + list(_messages(body.get("input")))
    return []


def answer_slots(op: Operation, answer: Any) -> list[Slot]:
    """The text slots of a decoded answer."""
    return list(_answer_parts(op, answer))


def _answer_parts(op: Operation, answer: Any) -> Iterator[Slot]:
    if not isinstance(answer, dict):
        return
    if op is Operation.CHAT:
        for choice in answer.get("choices") or []:
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                yield Slot(message, "content", "assistant")
    elif op is Operation.COMPLETION:
        for choice in answer.get("choices") or []:
            if isinstance(choice, dict) and isinstance(choice.get("text"), str):
                yield Slot(choice, "text", "assistant")
    elif op is Operation.MESSAGES:
        yield from _content(answer, "content", "assistant") if "content" in answer else ()
    elif op is Operation.RESPONSES:
        yield from _messages(answer.get("output"))


def answer_text(op: Operation, content: bytes) -> tuple[Any, list[Slot]]:
    """The decoded answer and its text slots (none for an answer that is not JSON)."""
    try:
        answer = msgspec.json.decode(content)
    except msgspec.DecodeError:
        return None, []
    return answer, list(_answer_parts(op, answer))
