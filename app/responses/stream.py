"""OpenAI ``chat.completion.chunk`` streams → Responses stream events.

Events come in the order the OpenAI SDK expects, numbered from 0 by ``sequence_number``:
``response.created`` and ``response.in_progress``; per output item
``response.output_item.added``, then for a message ``response.content_part.added``, its
``response.output_text.delta`` events, ``response.output_text.done`` and
``response.content_part.done``, for a function call its
``response.function_call_arguments.delta`` events and ``.done``; then
``response.output_item.done``; and last ``response.completed`` (``response.incomplete``
when the output limit was reached) carrying the whole response with its usage. A stream
that fails midway ends with ``response.failed``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import msgspec

from app.errors import DeltaLLMError, UpstreamError, UpstreamUnavailableError
from app.providers.base import ProviderStream, Usage
from app.responses.response import (
    function_call_item,
    message_item,
    new_id,
    reasoning_item,
    response_object,
    response_usage,
)

__all__ = ["ChatToResponsesStream", "responses_event"]

_EVENT_END = re.compile(rb"\r?\n\r?\n")
_encode = msgspec.json.encode


def responses_event(kind: str, data: Mapping[str, Any], sequence: int) -> bytes:
    payload = _encode({"type": kind, **data, "sequence_number": sequence})
    return b"event: " + kind.encode() + b"\ndata: " + payload + b"\n\n"


def _data_of(event: bytes) -> bytes | None:
    lines = [
        line[5:].removeprefix(b" ") for line in event.splitlines() if line.startswith(b"data:")
    ]
    return b"\n".join(lines) if lines else None


class ChatToResponsesStream(ProviderStream):
    """Wraps a chat stream (asked with usage) and yields Responses events."""

    def __init__(
        self,
        inner: ProviderStream,
        request: Mapping[str, Any],
        *,
        input_estimate: int,
        store: bool,
    ) -> None:
        super().__init__()
        self.inner = inner
        self._request = {**request, "store": store}
        self._input_estimate = input_estimate
        self._id = new_id("resp")
        self._sequence = 0
        self._output: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None
        self._tool_items: dict[int, dict[str, Any]] = {}
        self._finish: str | None = None
        self._started = False
        self._done = False
        self._upstream_done = False
        self._chars = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._events()

    async def aclose(self) -> None:
        self.usage = self.usage or self.inner.usage
        await self.inner.aclose()

    def _event(self, kind: str, data: Mapping[str, Any]) -> bytes:
        event = responses_event(kind, data, self._sequence)
        self._sequence += 1
        return event

    async def _events(self) -> AsyncIterator[bytes]:
        try:
            async for events in self._translated():
                yield events
        except DeltaLLMError as exc:
            # The caller learns the response failed (``response.failed``); the error
            # itself follows as an ``error`` event from the transport.
            if self._started and not self._done:
                self._done = True
                error = {"code": "server_error", "message": exc.message}
                self._output = [item for item in self._output if item]
                response = {**self._response("failed", None), "error": error}
                yield self._event("response.failed", {"response": response})
            raise

    async def _translated(self) -> AsyncIterator[bytes]:
        pending = b""
        async for chunk in self.inner:
            if self.first_chunk_at is None:
                self.first_chunk_at = self.inner.first_chunk_at
                self._mark_first_chunk()
            data = pending + chunk if pending else chunk
            out: list[bytes] = []
            position = 0
            for match in _EVENT_END.finditer(data):
                out.extend(self._translate(data[position : match.start()]))
                position = match.end()
            pending = data[position:]
            if out:
                yield b"".join(out)
        tail = self._translate(pending) if pending.strip() else []
        self.usage = self.inner.usage
        if self._finish is None and not self._upstream_done:
            raise UpstreamUnavailableError("the upstream stream ended without an answer")
        yield b"".join(tail + self._finish_events())

    def _translate(self, raw: bytes) -> list[bytes]:
        data = _data_of(raw)
        if data is None or self._done:
            return []
        if data.strip() == b"[DONE]":
            self._upstream_done = True
            return []
        try:
            chunk = msgspec.json.decode(data)
        except msgspec.DecodeError:
            raise UpstreamError("the upstream sent an unreadable stream event") from None
        if not isinstance(chunk, dict):
            return []
        if isinstance(chunk.get("error"), dict):
            raise UpstreamError(str(chunk["error"].get("message") or "upstream stream error"))
        out = self._start()
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                out.extend(self._choice(choice))
        return out

    def _response(self, status: str, usage: dict[str, Any] | None) -> dict[str, Any]:
        return response_object(
            self._request, response_id=self._id, status=status, output=self._output, usage=usage
        )

    def _start(self) -> list[bytes]:
        if self._started:
            return []
        self._started = True
        response = self._response("in_progress", None)
        return [
            self._event("response.created", {"response": response}),
            self._event("response.in_progress", {"response": response}),
        ]

    def _choice(self, choice: dict[str, Any]) -> list[bytes]:
        out: list[bytes] = []
        delta = choice.get("delta") or {}
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            self._chars += len(reasoning)
            out.extend(self._open_item("reasoning"))
            assert self._open is not None
            self._open["text"] += reasoning
        text = delta.get("content")
        if isinstance(text, str) and text:
            self._chars += len(text)
            out.extend(self._open_item("message"))
            assert self._open is not None
            self._open["text"] += text
            out.append(self._event("response.output_text.delta", {**self._where(), "delta": text}))
        for call in delta.get("tool_calls") or []:
            if isinstance(call, dict):
                out.extend(self._tool_call(call))
        if choice.get("finish_reason"):
            self._finish = str(choice["finish_reason"])
        return out

    def _where(self, item: dict[str, Any] | None = None) -> dict[str, Any]:
        item = item or self._open
        assert item is not None
        where = {"item_id": item["id"], "output_index": item["index"]}
        if item["type"] == "message":
            where["content_index"] = 0
            where["logprobs"] = []
        return where

    def _open_item(self, kind: str, **fields: Any) -> list[bytes]:
        if self._open is not None and self._open["type"] == kind and kind != "function_call":
            return []
        out = self._close_item()
        index = len(self._output)
        prefix = {"message": "msg", "reasoning": "rs", "function_call": "fc"}[kind]
        self._open = {"type": kind, "id": new_id(prefix), "index": index, "text": "", **fields}
        self._output.append({})
        item = self._item(self._open, "in_progress")
        out.append(self._event("response.output_item.added", {"output_index": index, "item": item}))
        if kind == "message":
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            where = {"item_id": self._open["id"], "output_index": index, "content_index": 0}
            out.append(self._event("response.content_part.added", {**where, "part": part}))
        return out

    def _item(self, state: dict[str, Any], status: str) -> dict[str, Any]:
        if state["type"] == "message":
            item = message_item(state["id"], state["text"], status)
            if status == "in_progress":
                item["content"] = []
            return item
        if state["type"] == "reasoning":
            return (
                reasoning_item(state["id"], state["text"])
                if state["text"]
                else {
                    "id": state["id"],
                    "type": "reasoning",
                    "summary": [],
                }
            )
        return function_call_item(
            state["id"], state["call_id"], state["name"], state["text"], status
        )

    def _close_item(self) -> list[bytes]:
        state = self._open
        if state is None:
            return []
        self._open = None
        out: list[bytes] = []
        item = self._item(state, "completed")
        where = self._where(state)
        if state["type"] == "message":
            text = state["text"]
            out.append(self._event("response.output_text.done", {**where, "text": text}))
            part = item["content"][0]
            where.pop("logprobs")
            out.append(self._event("response.content_part.done", {**where, "part": part}))
        elif state["type"] == "function_call":
            done = {**where, "name": state["name"], "arguments": state["text"]}
            out.append(self._event("response.function_call_arguments.done", done))
        self._output[state["index"]] = item
        done_item = {"output_index": state["index"], "item": item}
        out.append(self._event("response.output_item.done", done_item))
        return out

    def _tool_call(self, call: dict[str, Any]) -> list[bytes]:
        out: list[bytes] = []
        index = call.get("index", 0)
        function = call.get("function") or {}
        state = self._tool_items.get(index)
        if state is None or (call.get("id") and call["id"] != state["call_id"]):
            call_id = str(call.get("id") or new_id("call"))
            name = str(function.get("name") or "")
            out.extend(self._open_item("function_call", call_id=call_id, name=name))
            assert self._open is not None
            state = self._tool_items[index] = self._open
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            self._chars += len(arguments)
            state["text"] += arguments
            delta = {**self._where(state), "delta": arguments}
            out.append(self._event("response.function_call_arguments.delta", delta))
        return out

    def _finish_events(self) -> list[bytes]:
        if self._done:
            return []
        self._done = True
        out = self._start() + self._close_item()
        self._output = [item for item in self._output if item]
        if self.usage is None:
            # The upstream reported no usage: estimate it (about four characters a token).
            output = -(-self._chars // 4)
            self.usage = Usage(prompt_tokens=self._input_estimate, completion_tokens=output)
        incomplete = self._finish == "length"
        status = "incomplete" if incomplete else "completed"
        response = self._response(status, response_usage(self.usage))
        kind = "response.incomplete" if incomplete else "response.completed"
        out.append(self._event(kind, {"response": response}))
        return out
