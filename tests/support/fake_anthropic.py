"""A real Anthropic Messages API server on loopback, standing in for api.anthropic.com.

Tests script it: queue failures (Anthropic error bodies, 529 overloaded), slow answers,
tool calls, thinking blocks, mid-stream errors; it records every request. Like the real
API it rejects requests without ``x-api-key``, ``anthropic-version`` or ``max_tokens``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["ERROR_TYPES", "Failure", "FakeAnthropic", "RecordedRequest", "error_body"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
INPUT_TOKENS = 12
CACHE_READ_TOKENS = 3
CACHE_CREATION_TOKENS = 2


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def error_body(status: int, message: str, error_type: str | None = None) -> dict[str, Any]:
    kind = error_type or ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _pieces(text: str, count: int) -> list[str]:
    """``text`` cut into ``count`` nearly equal pieces (for input_json_delta events)."""
    size = max(1, -(-len(text) // count))
    return [text[i : i + size] for i in range(0, len(text), size)]


class FakeAnthropic:
    """Start with ``await FakeAnthropic().start()``; ``root`` is the api_base."""

    def __init__(self, *, reply: str = "Hello there!", name: str = "fake") -> None:
        self.reply = reply
        self.name = name
        self.requests: list[RecordedRequest] = []
        self.failures: list[Failure] = []
        self.delay = 0.0
        self.chunk_delay = 0.0
        self.tool_call: dict[str, Any] | list[dict[str, Any]] | None = None
        self.thinking: str | None = None
        self.stream_error: str | None = None
        self.line_ending = "\n"
        self.stream_cancelled = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeAnthropic:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(
        self,
        status: int,
        message: str = "boom",
        *,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.failures.append(
            Failure(status, error_body(status, message, error_type), headers or {})
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.headers), body)
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        rejection = self._rejection(request, body)
        if rejection is not None:
            return web.json_response(
                rejection.body, status=rejection.status, headers=rejection.headers
            )
        if body.get("stream"):
            return await self._stream(request, body)
        return web.json_response(self._message(body))

    def _rejection(self, request: web.Request, body: Any) -> Failure | None:
        if self.failures:
            return self.failures.pop(0)
        if request.path != "/v1/messages":
            return Failure(404, error_body(404, f"no route {request.path}"))
        if not request.headers.get("x-api-key"):
            return Failure(401, error_body(401, "x-api-key header is required"))
        if not request.headers.get("anthropic-version"):
            return Failure(400, error_body(400, "anthropic-version header is required"))
        if not isinstance(body.get("max_tokens"), int):
            return Failure(400, error_body(400, "max_tokens: Field required"))
        return None

    def _tool_calls(self) -> list[dict[str, Any]]:
        if self.tool_call is None:
            return []
        return self.tool_call if isinstance(self.tool_call, list) else [self.tool_call]

    def _content(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if self.thinking:
            blocks.append({"type": "thinking", "thinking": self.thinking, "signature": "sig"})
        if self.reply:
            blocks.append({"type": "text", "text": self.reply})
        for i, call in enumerate(self._tool_calls()):
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{i + 1:02d}",
                    "name": call["name"],
                    "input": call.get("input", {}),
                }
            )
        return blocks

    def _usage(self, output_tokens: int) -> dict[str, int]:
        return {
            "input_tokens": INPUT_TOKENS,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": CACHE_READ_TOKENS,
            "cache_creation_input_tokens": CACHE_CREATION_TOKENS,
        }

    def _stop_reason(self) -> str:
        return "tool_use" if self.tool_call is not None else "end_turn"

    def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude"),
            "content": self._content(),
            "stop_reason": self._stop_reason(),
            "stop_sequence": None,
            "usage": self._usage(len(self.reply.split()) + 5),
        }

    def _events(self, body: dict[str, Any]) -> list[bytes]:
        start = {**self._message(body), "content": [], "stop_reason": None, "usage": self._usage(1)}
        events = [
            _sse("message_start", {"type": "message_start", "message": start}),
            _sse("ping", {"type": "ping"}),
        ]
        for index, block in enumerate(self._content()):
            events.extend(self._block_events(index, block))
        if self.stream_error:
            events.append(_sse("error", error_body(529, self.stream_error, "overloaded_error")))
        events.append(
            _sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": self._stop_reason(), "stop_sequence": None},
                    "usage": {"output_tokens": len(self.reply.split()) + 5},
                },
            )
        )
        events.append(_sse("message_stop", {"type": "message_stop"}))
        return events

    def _block_events(self, index: int, block: dict[str, Any]) -> list[bytes]:
        kind = block["type"]
        if kind == "text":
            opened: dict[str, Any] = {"type": "text", "text": ""}
            words = block["text"].split(" ")
            deltas = [
                {"type": "text_delta", "text": w if i == 0 else " " + w}
                for i, w in enumerate(words)
            ]
        elif kind == "thinking":
            opened = {"type": "thinking", "thinking": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": block["thinking"]},
                {"type": "signature_delta", "signature": block["signature"]},
            ]
        else:
            opened = {**block, "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": piece}
                for piece in ["", *_pieces(json.dumps(block["input"]), 3)]
            ]
        events = [
            _sse(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opened},
            )
        ]
        events += [
            _sse(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
            for delta in deltas
        ]
        events.append(_sse("content_block_stop", {"type": "content_block_stop", "index": index}))
        return events

    async def _stream(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            for event in self._events(body):
                await response.write(event.replace(b"\n", self.line_ending.encode()))
                if self.chunk_delay:
                    await asyncio.sleep(self.chunk_delay)
        except (ConnectionResetError, asyncio.CancelledError):
            self.stream_cancelled.set()
            raise
        return response
