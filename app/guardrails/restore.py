"""Putting masked values back into a streamed answer (``output_parse_pii``).

Models stream a placeholder such as ``<EMAIL_ADDRESS_1>`` in pieces over several events,
so text that may be the start of a placeholder is held back until it is complete (then
restored) or cannot be one (then passed on). Only events carrying text are re-encoded.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

__all__ = ["StreamRestorer"]

_DATA = re.compile(rb"^data: ?(\{.*)$", re.MULTILINE)


class StreamRestorer:
    def __init__(self, restore: dict[str, str]) -> None:
        self._restore = restore
        self._pending: dict[tuple[str, int], str] = {}

    def _held(self, text: str) -> int:
        """Where the tail of ``text`` that may begin a placeholder starts (len: none)."""
        start = text.rfind("<")
        if start < 0:
            return len(text)
        tail = text[start:]
        if any(token.startswith(tail) and token != tail for token in self._restore):
            return start
        return len(text)

    def _text(self, key: tuple[str, int], text: str, final: bool) -> str:
        text = self._pending.pop(key, "") + text
        for token, value in self._restore.items():
            text = text.replace(token, value)
        cut = len(text) if final else self._held(text)
        if cut < len(text):
            self._pending[key] = text[cut:]
        return text[:cut]

    def _choice(self, choice: Any) -> bool:
        if not isinstance(choice, dict):
            return False
        index = choice.get("index", 0)
        final = choice.get("finish_reason") is not None
        delta = choice.get("delta")
        changed = False
        if isinstance(delta, dict) and (isinstance(delta.get("content"), str) or final):
            pending = ("content", index) in self._pending
            if isinstance(delta.get("content"), str) or pending:
                delta["content"] = self._text(("content", index), delta.get("content") or "", final)
                changed = True
        if isinstance(choice.get("text"), str):
            choice["text"] = self._text(("text", index), choice["text"], final)
            changed = True
        return changed

    def event(self, chunk: bytes) -> bytes:
        """``chunk`` with placeholders restored (events without answer text pass as sent)."""

        def one(match: re.Match[bytes]) -> bytes:
            try:
                event = msgspec.json.decode(match.group(1))
            except msgspec.DecodeError:
                return match.group(0)
            choices = event.get("choices") if isinstance(event, dict) else None
            if not isinstance(choices, list) or not any([self._choice(c) for c in choices]):
                return match.group(0)
            return b"data: " + msgspec.json.encode(event)

        if b'"choices"' not in chunk:
            return chunk
        return _DATA.sub(one, chunk)
