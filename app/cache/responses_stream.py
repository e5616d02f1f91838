"""Responses API streams and the cache: a completed event stream is stored as the
response its ``response.completed`` event carries, and a cached response is told again as
the typed events the OpenAI SDK expects, numbered by ``sequence_number``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import msgspec

from app.cache.replay import text_pieces
from app.providers.base import Usage
from app.responses.stream import responses_event

__all__ = ["ResponsesAssembler", "replay_response_events"]

_EVENT_END = re.compile(rb"\r?\n\r?\n")
_ARGUMENT_PIECE = 32
_FAILED = frozenset({"response.failed", "response.incomplete", "error"})


class ResponsesAssembler:
    """Keeps the response of ``response.completed``; anything that failed stores nothing."""

    def __init__(self) -> None:
        self._pending = b""
        self._response: dict[str, Any] | None = None
        self.broken = False
        self.done = False

    def feed(self, chunk: bytes) -> None:
        *events, self._pending = _EVENT_END.split(self._pending + chunk)
        for event in events:
            data = b"\n".join(
                line[5:].strip() for line in event.splitlines() if line.startswith(b"data:")
            )
            if not data:
                continue
            try:
                decoded = msgspec.json.decode(data)
            except msgspec.DecodeError:
                self.broken = True
                continue
            kind = decoded.get("type") if isinstance(decoded, dict) else None
            if kind in _FAILED:
                self.broken = True
            elif kind == "response.completed" and isinstance(decoded.get("response"), dict):
                self._response = decoded["response"]
                self.done = True

    def complete(self) -> bool:
        return not self.broken and self._response is not None

    def answer(self, usage: Usage | None) -> bytes | None:
        return msgspec.json.encode(self._response) if self.complete() else None


def _message(where: dict[str, Any], item: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for index, part in enumerate(item.get("content") or []):
        at = {**where, "content_index": index}
        text = part.get("text", "") if part.get("type") == "output_text" else ""
        yield "response.content_part.added", {**at, "part": {**part, "text": ""}}
        for piece in text_pieces(text):
            yield "response.output_text.delta", {**at, "delta": piece, "logprobs": []}
        yield "response.output_text.done", {**at, "text": text, "logprobs": []}
        yield "response.content_part.done", {**at, "part": part}


def _function_call(
    where: dict[str, Any], item: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    arguments = str(item.get("arguments") or "")
    for start in range(0, len(arguments), _ARGUMENT_PIECE):
        piece = arguments[start : start + _ARGUMENT_PIECE]
        yield "response.function_call_arguments.delta", {**where, "delta": piece}
    done = {**where, "name": item.get("name"), "arguments": arguments}
    yield "response.function_call_arguments.done", done


def _events(response: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    opening = {**response, "status": "in_progress", "output": [], "usage": None}
    yield "response.created", {"response": opening}
    yield "response.in_progress", {"response": opening}
    for index, item in enumerate(response.get("output") or []):
        kind = item.get("type")
        added = {**item, "status": "in_progress"} if "status" in item else dict(item)
        if kind == "message":
            added["content"] = []
        elif kind == "function_call":
            added["arguments"] = ""
        yield "response.output_item.added", {"output_index": index, "item": added}
        where = {"item_id": item.get("id"), "output_index": index}
        if kind == "message":
            yield from _message(where, item)
        elif kind == "function_call":
            yield from _function_call(where, item)
        yield "response.output_item.done", {"output_index": index, "item": item}
    yield "response.completed", {"response": response}


def replay_response_events(response: dict[str, Any]) -> Iterator[bytes]:
    """The Responses events of the non-streamed ``response``."""
    numbers = count()
    for kind, data in _events(response):
        yield responses_event(kind, data, next(numbers))
