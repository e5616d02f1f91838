"""A cached answer told again as an OpenAI SSE stream: the role, the content in pieces,
tool calls (id and name first, then their arguments), the finish, the usage chunk when
``stream_options.include_usage`` asks for it, and ``[DONE]``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec

from app.cache.entry import Entry
from app.providers.base import ProviderStream
from app.providers.sse import sse_event
from app.router.deployment import Deployment
from app.router.routed import RoutedStream

__all__ = ["ReplayedStream", "replay_events", "text_pieces"]

_WORD_START = re.compile(r"(?<=\s)(?=\S)")
_ARGUMENT_PIECE = 32
_encode = msgspec.json.encode


def text_pieces(text: str) -> list[str]:
    """Word-sized pieces that join back into ``text`` exactly."""
    return [piece for piece in _WORD_START.split(text) if piece]


def _chat_deltas(choice: dict[str, Any]) -> Iterator[dict[str, Any]]:
    message = choice.get("message") or {}
    yield {"role": "assistant", "content": ""}
    for piece in text_pieces(message.get("content") or ""):
        yield {"content": piece}
    if message.get("refusal"):
        yield {"refusal": message["refusal"]}
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        first = {"index": index, "id": call.get("id"), "type": call.get("type", "function")}
        yield {
            "tool_calls": [{**first, "function": {"name": function.get("name"), "arguments": ""}}]
        }
        arguments = function.get("arguments") or ""
        for start in range(0, len(arguments), _ARGUMENT_PIECE):
            piece = arguments[start : start + _ARGUMENT_PIECE]
            yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}


def replay_events(body: dict[str, Any], *, chat: bool, include_usage: bool) -> Iterator[bytes]:
    """The SSE events, one per piece, of the non-streamed answer ``body``."""
    head: dict[str, Any] = {
        "id": body.get("id"),
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": body.get("created"),
        "model": body.get("model"),
    }
    if body.get("system_fingerprint"):
        head["system_fingerprint"] = body["system_fingerprint"]
    for choice in body.get("choices") or []:
        index = choice.get("index", 0)
        if chat:
            for delta in _chat_deltas(choice):
                part = {"index": index, "delta": delta, "logprobs": None, "finish_reason": None}
                yield sse_event(_encode({**head, "choices": [part]}))
            end = {"index": index, "delta": {}, "logprobs": None}
        else:
            for piece in text_pieces(choice.get("text") or ""):
                part = {"index": index, "text": piece, "logprobs": None, "finish_reason": None}
                yield sse_event(_encode({**head, "choices": [part]}))
            end = {"index": index, "text": "", "logprobs": None}
        final = {**end, "finish_reason": choice.get("finish_reason")}
        yield sse_event(_encode({**head, "choices": [final]}))
    if include_usage and body.get("usage") is not None:
        yield sse_event(_encode({**head, "choices": [], "usage": body["usage"]}))
    yield b"data: [DONE]\n\n"


class ReplayedStream(RoutedStream):
    """A routed stream that came from the cache: no deployment is called or held."""

    def __init__(
        self, entry: Entry, deployment: Deployment, model_group: str, *, kind: str, usage: bool
    ) -> None:
        ProviderStream.__init__(self)
        self.inner = self
        self.deployment = deployment
        self.model_group = model_group
        self.usage = entry.usage
        self._body = entry.body
        self._kind = kind
        self._include_usage = usage

    async def _replay(self) -> AsyncIterator[bytes]:
        self._mark_first_chunk()
        body = msgspec.json.decode(self._body)
        if self._kind == "messages":
            from app.cache.messages_stream import replay_message_events

            events = replay_message_events(body)
        elif self._kind == "responses":
            from app.cache.responses_stream import replay_response_events

            events = replay_response_events(body)
        else:
            events = replay_events(
                body, chat=self._kind == "chat", include_usage=self._include_usage
            )
        for event in events:
            yield event

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._replay()

    async def aclose(self) -> None:
        return None
