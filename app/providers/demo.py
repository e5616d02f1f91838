"""The built-in demo provider: answers locally, so the gateway works with no provider key.

``demo/echo`` replies with the caller's last message; ``demo/embedding`` returns a
deterministic unit vector per input. Both stream, report usage and cost nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import msgspec

from app.errors import BadRequestError
from app.providers.base import (
    Operation,
    Provider,
    ProviderCall,
    ProviderResult,
    ProviderStream,
    Usage,
)
from app.providers.sse import sse_event
from app.tokens import estimate_prompt_tokens, estimate_tokens

__all__ = ["DemoProvider"]

_encode = msgspec.json.encode
_DIMENSIONS = 64


def _last_user_text(body: dict[str, Any]) -> str:
    if "prompt" in body:
        prompt = body["prompt"]
        return prompt if isinstance(prompt, str) else " ".join(map(str, prompt))
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _reply(body: dict[str, Any]) -> str:
    text = _last_user_text(body).strip()
    reply = f"You said: {text}" if text else "Hello from the DeltaLLM demo model."
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(max_tokens, int):
        reply = " ".join(reply.split(" ")[:max_tokens])
    return reply


def _vector(text: str) -> list[float]:
    digest = hashlib.sha512(text.encode()).digest()
    raw = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(_DIMENSIONS)]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [round(v / norm, 6) for v in raw]


class _DemoStream(ProviderStream):
    def __init__(self, events: list[bytes], usage: Usage, delay: float) -> None:
        super().__init__()
        self._events = events
        self._final_usage = usage
        self._delay = delay

    async def _iterate(self) -> AsyncIterator[bytes]:
        for event in self._events:
            self._mark_first_chunk()
            yield event
            if self._delay:
                await asyncio.sleep(self._delay)
        self.usage = self._final_usage

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def aclose(self) -> None:
        return None


class DemoProvider(Provider):
    name: ClassVar[str] = "demo"
    operations: ClassVar[frozenset[Operation]] = frozenset(
        {Operation.CHAT, Operation.COMPLETION, Operation.EMBEDDING, Operation.MODERATION}
    )

    async def call(self, call: ProviderCall, timeout: float) -> ProviderResult:
        self.check_supported(call.op)
        body = call.body
        if call.op is Operation.EMBEDDING:
            return self._embeddings(body)
        if call.op is Operation.MODERATION:
            return self._moderation(body)
        reply = _reply(body)
        usage = Usage(estimate_prompt_tokens(body), estimate_tokens(reply))
        created = int(time.time())
        if call.op is Operation.COMPLETION:
            choice: dict[str, Any] = {
                "index": 0,
                "text": reply,
                "logprobs": None,
                "finish_reason": "stop",
            }
            kind, prefix = "text_completion", "cmpl-"
        else:
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": reply, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
            kind, prefix = "chat.completion", "chatcmpl-"
        answer = {
            "id": prefix + uuid.uuid4().hex,
            "object": kind,
            "created": created,
            "model": body.get("model", "demo"),
            "choices": [choice],
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },
        }
        return ProviderResult(_encode(answer), usage=usage)

    async def stream(self, call: ProviderCall, timeout: float) -> ProviderStream:
        self.check_supported(call.op)
        if call.op not in (Operation.CHAT, Operation.COMPLETION):
            raise BadRequestError(f"{call.op.value} cannot be streamed", param="stream")
        body = call.body
        reply = _reply(body)
        usage = Usage(estimate_prompt_tokens(body), estimate_tokens(reply))
        ident = ("chatcmpl-" if call.op is Operation.CHAT else "cmpl-") + uuid.uuid4().hex
        base = {"id": ident, "created": int(time.time()), "model": body.get("model", "demo")}
        words = reply.split(" ")
        events: list[bytes] = []
        for index, word in enumerate(words):
            piece = word if index == 0 else " " + word
            events.append(sse_event(_encode(self._chunk(call.op, base, piece, None, index == 0))))
        events.append(sse_event(_encode(self._chunk(call.op, base, "", "stop", False))))
        if call.include_usage:
            events.append(
                sse_event(
                    _encode(
                        {
                            **base,
                            "object": self._chunk_object(call.op),
                            "choices": [],
                            "usage": {
                                "prompt_tokens": usage.prompt_tokens,
                                "completion_tokens": usage.completion_tokens,
                                "total_tokens": usage.total_tokens,
                            },
                        }
                    )
                )
            )
        events.append(b"data: [DONE]\n\n")
        delay = float(self.params.defaults.get("stream_delay", 0.0))
        return _DemoStream(events, usage, delay)

    @staticmethod
    def _chunk_object(op: Operation) -> str:
        return "chat.completion.chunk" if op is Operation.CHAT else "text_completion"

    def _chunk(
        self, op: Operation, base: dict[str, Any], text: str, finish: str | None, first: bool
    ) -> dict[str, Any]:
        if op is Operation.CHAT:
            delta: dict[str, Any] = {"content": text}
            if first:
                delta["role"] = "assistant"
            choice: dict[str, Any] = {"index": 0, "delta": delta if not finish else {}}
        else:
            choice = {"index": 0, "text": text, "logprobs": None}
        choice["finish_reason"] = finish
        return {**base, "object": self._chunk_object(op), "choices": [choice]}

    def _embeddings(self, body: dict[str, Any]) -> ProviderResult:
        value = body.get("input", "")
        inputs = [value] if isinstance(value, str | int) else list(value)
        texts = [v if isinstance(v, str) else str(v) for v in inputs]
        prompt_tokens = sum(estimate_tokens(t) for t in texts)
        answer = {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": _vector(t)}
                for i, t in enumerate(texts)
            ],
            "model": body.get("model", "demo-embedding"),
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
        return ProviderResult(_encode(answer), usage=Usage(prompt_tokens, 0))

    def _moderation(self, body: dict[str, Any]) -> ProviderResult:
        value = body.get("input", "")
        inputs = [value] if isinstance(value, str) else list(value)
        answer = {
            "id": "modr-" + uuid.uuid4().hex,
            "model": body.get("model", "demo"),
            "results": [
                {"flagged": False, "categories": {}, "category_scores": {}} for _ in inputs
            ],
        }
        return ProviderResult(_encode(answer))
