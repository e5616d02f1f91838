"""A relayed chat or completion stream assembled into the answer a non-streamed call gives,
so that one entry serves both. Only a complete stream assembles: every choice finished and
no error event; anything else is never stored."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from app.providers.base import Usage

__all__ = ["StreamAssembler"]

_EVENT_END = re.compile(rb"\r?\n\r?\n")
_decode = msgspec.json.decode


class StreamAssembler:
    """Feed it the relayed bytes; :meth:`answer` is the whole body, or None if incomplete."""

    def __init__(self, chat: bool) -> None:
        self._chat = chat
        self._pending = b""
        self._head: dict[str, Any] = {}
        self._choices: dict[int, dict[str, Any]] = {}
        self._usage: dict[str, Any] | None = None
        self.broken = False
        self.done = False

    def feed(self, chunk: bytes) -> None:
        *events, self._pending = _EVENT_END.split(self._pending + chunk)
        for event in events:
            self._event(event)

    def _event(self, event: bytes) -> None:
        data = event.strip()
        if not data.startswith(b"data:") or self.broken:
            return
        data = data[5:].strip()
        if data == b"[DONE]":
            self.done = True
            return
        try:
            chunk = _decode(data)
        except msgspec.DecodeError:
            self.broken = True
            return
        if not isinstance(chunk, dict) or "error" in chunk:
            self.broken = True
            return
        if not self._head:
            self._head = {k: chunk.get(k) for k in ("id", "created", "model")}
            if chunk.get("system_fingerprint"):
                self._head["system_fingerprint"] = chunk["system_fingerprint"]
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict):
                self._choice(choice)

    def _choice(self, choice: dict[str, Any]) -> None:
        index = int(choice.get("index") or 0)
        state = self._choices.setdefault(index, {"text": [], "tools": {}, "finish": None})
        if choice.get("finish_reason"):
            state["finish"] = choice["finish_reason"]
        if not self._chat:
            state["text"].append(choice.get("text") or "")
            return
        delta = choice.get("delta") or {}
        if isinstance(delta.get("content"), str):
            state["text"].append(delta["content"])
        if isinstance(delta.get("refusal"), str):
            state["refusal"] = state.get("refusal", "") + delta["refusal"]
        for call in delta.get("tool_calls") or []:
            slot = state["tools"].setdefault(
                int(call.get("index") or 0),
                {"id": None, "type": "function", "name": "", "args": []},
            )
            slot["id"] = call.get("id") or slot["id"]
            function = call.get("function") or {}
            slot["name"] += function.get("name") or ""
            slot["args"].append(function.get("arguments") or "")

    def complete(self) -> bool:
        return (
            not self.broken
            and bool(self._choices)
            and all(state["finish"] for state in self._choices.values())
        )

    def answer(self, usage: Usage | None) -> bytes | None:
        """The assembled body (with ``usage``, reported or estimated), if complete."""
        if not self.complete():
            return None
        choices = [self._assembled(i, self._choices[i]) for i in sorted(self._choices)]
        body: dict[str, Any] = {
            **self._head,
            "object": "chat.completion" if self._chat else "text_completion",
            "choices": choices,
        }
        if self._usage is not None:
            body["usage"] = self._usage
        elif usage is not None:
            body["usage"] = {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            }
        return msgspec.json.encode(body)

    def _assembled(self, index: int, state: dict[str, Any]) -> dict[str, Any]:
        text = "".join(state["text"])
        if not self._chat:
            return {
                "index": index,
                "text": text,
                "logprobs": None,
                "finish_reason": state["finish"],
            }
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if state.get("refusal"):
            message["refusal"] = state["refusal"]
        if state["tools"]:
            message["tool_calls"] = [
                {
                    "id": slot["id"],
                    "type": slot["type"],
                    "function": {"name": slot["name"], "arguments": "".join(slot["args"])},
                }
                for _, slot in sorted(state["tools"].items())
            ]
        return {
            "index": index,
            "message": message,
            "logprobs": None,
            "finish_reason": state["finish"],
        }
