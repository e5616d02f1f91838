"""Anthropic Messages streams and the cache: a completed event stream assembled into the
message a non-streamed call returns, and a cached message told again as the events the
Anthropic SDKs expect (``message_start``, each block's start, deltas and stop,
``message_delta`` with the stop reason and usage, ``message_stop``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import msgspec

from app.cache.replay import text_pieces
from app.messages.stream import anthropic_event
from app.providers.base import Usage

__all__ = ["MessagesAssembler", "replay_message_events"]

_EVENT_END = re.compile(rb"\r?\n\r?\n")
_JSON_PIECE = 32


class MessagesAssembler:
    """Feed it the relayed events; :meth:`answer` is the whole message, or None."""

    def __init__(self) -> None:
        self._pending = b""
        self._message: dict[str, Any] | None = None
        self._blocks: dict[int, dict[str, Any]] = {}
        self._json: dict[int, list[str]] = {}
        self.broken = False
        self.done = False

    def feed(self, chunk: bytes) -> None:
        *events, self._pending = _EVENT_END.split(self._pending + chunk)
        for event in events:
            data = b"\n".join(
                line[5:].strip() for line in event.splitlines() if line.startswith(b"data:")
            )
            if data and not self.broken:
                try:
                    self._event(msgspec.json.decode(data))
                except (msgspec.DecodeError, TypeError, KeyError, AttributeError):
                    self.broken = True

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "message_start":
            self._message = dict(event["message"])
        elif kind == "content_block_start":
            self._blocks[int(event["index"])] = dict(event["content_block"])
        elif kind == "content_block_delta":
            self._delta(self._blocks[int(event["index"])], int(event["index"]), event["delta"])
        elif kind == "message_delta" and self._message is not None:
            self._message.update(event.get("delta") or {})
            self._message["usage"] = {**self._message.get("usage", {}), **event.get("usage", {})}
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            self.broken = True

    def _delta(self, block: dict[str, Any], index: int, delta: dict[str, Any]) -> None:
        kind = delta.get("type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta["text"]
        elif kind == "input_json_delta":
            self._json.setdefault(index, []).append(delta.get("partial_json", ""))
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta["thinking"]
        elif kind == "signature_delta":
            block["signature"] = block.get("signature", "") + delta["signature"]
        else:
            self.broken = True  # a block kind this cache does not know how to replay

    def complete(self) -> bool:
        message = self._message
        return not self.broken and message is not None and bool(message.get("stop_reason"))

    def answer(self, usage: Usage | None) -> bytes | None:
        if not self.complete():
            return None
        assert self._message is not None
        blocks = []
        for index in sorted(self._blocks):
            block = self._blocks[index]
            if index in self._json:
                block["input"] = json.loads("".join(self._json[index]) or "{}")
            blocks.append(block)
        return msgspec.json.encode({**self._message, "content": blocks})


def _block_events(index: int, block: dict[str, Any]) -> Iterator[bytes]:
    kind = block.get("type")
    deltas: list[dict[str, Any]] = []
    start = dict(block)
    if kind == "text":
        start["text"] = ""
        deltas = [{"type": "text_delta", "text": p} for p in text_pieces(block.get("text", ""))]
    elif kind == "tool_use":
        start["input"] = {}
        arguments = json.dumps(block.get("input") or {})
        deltas = [
            {"type": "input_json_delta", "partial_json": arguments[i : i + _JSON_PIECE]}
            for i in range(0, len(arguments), _JSON_PIECE)
        ]
    elif kind == "thinking":
        start.update(thinking="", signature="")
        deltas = [{"type": "thinking_delta", "thinking": block.get("thinking", "")}]
        if block.get("signature"):
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
    yield anthropic_event("content_block_start", {"index": index, "content_block": start})
    for delta in deltas:
        yield anthropic_event("content_block_delta", {"index": index, "delta": delta})
    yield anthropic_event("content_block_stop", {"index": index})


def replay_message_events(message: dict[str, Any]) -> Iterator[bytes]:
    """The Anthropic events of the non-streamed ``message``."""
    usage = dict(message.get("usage") or {})
    opening = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    opening["usage"] = {**usage, "output_tokens": 1 if usage else 0}
    yield anthropic_event("message_start", {"message": opening})
    for index, block in enumerate(message.get("content") or []):
        yield from _block_events(index, block)
    stop = {
        "stop_reason": message.get("stop_reason"),
        "stop_sequence": message.get("stop_sequence"),
    }
    yield anthropic_event("message_delta", {"delta": stop, "usage": usage})
    yield anthropic_event("message_stop", {})
