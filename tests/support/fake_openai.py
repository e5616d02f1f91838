"""A real OpenAI-compatible HTTP server on loopback, standing in for OpenAI and Azure.

Tests script it: queue failures, slow answers, tool calls; it records every request.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["Failure", "FakeOpenAI", "RecordedRequest"]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Raw bytes sent as they are (a cut JSON body, an HTML page) with this Content-Type.
    content_type: str | None = None
    # Close the connection without an answer (a reset, as a crashed upstream does).
    reset: bool = False


class FakeOpenAI:
    """Start with ``await FakeOpenAI().start()``; ``base_url`` ends in ``/v1``."""

    def __init__(self, *, reply: str = "Hello there!", name: str = "fake") -> None:
        self.reply = reply
        self.name = name
        self.requests: list[RecordedRequest] = []
        self.failures: list[Failure] = []
        self.delay = 0.0
        self.chunk_delay = 0.0
        # When set, requests are recorded and then held until the event is set.
        self.hold: asyncio.Event | None = None
        self.tool_call: dict[str, Any] | None = None
        self.stream_cancelled = asyncio.Event()
        self.usage_on_every_chunk = False
        self.break_stream_after: int | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    async def start(self) -> FakeOpenAI:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        app.router.add_route("GET", "/{tail:.*}", self._handle_get)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, status: int, message: str = "boom", **kwargs: Any) -> None:
        body = kwargs.pop("body", None) or {
            "error": {
                "message": message,
                "type": "server_error",
                "param": None,
                "code": kwargs.pop("code", None),
            }
        }
        self.failures.append(Failure(status, body, kwargs.pop("headers", {})))

    def answer_next_raw(self, body: bytes, content_type: str, status: int = 200) -> None:
        """Answer the next request with ``body`` exactly as given (cut JSON, an HTML page)."""
        self.failures.append(Failure(status, body, content_type=content_type))

    def reset_next(self) -> None:
        """Drop the next request's connection without answering it."""
        self.failures.append(Failure(0, reset=True))

    async def _handle_get(self, request: web.Request) -> web.Response:
        self._record(request, None)
        return web.json_response({"object": "list", "data": []})

    def _record(self, request: web.Request, body: Any) -> None:
        self.requests.append(
            RecordedRequest(
                request.method, request.path, dict(request.query), dict(request.headers), body
            )
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            body: Any = {k: (v.filename if hasattr(v, "filename") else v) for k, v in form.items()}
            body["_file_bytes"] = {
                k: len(v.file.read()) for k, v in form.items() if hasattr(v, "file")
            }
        else:
            body = await request.json()
        self._record(request, body)
        if self.hold is not None:
            await self.hold.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            failure = self.failures.pop(0)
            if failure.reset:
                assert request.transport is not None
                request.transport.abort()
                return web.Response(status=500)  # never sent: the connection is gone
            if failure.content_type is not None:
                return web.Response(
                    body=failure.body, status=failure.status, content_type=failure.content_type
                )
            if isinstance(failure.body, str):  # not an error object: an HTML page, an echo
                return web.Response(
                    text=failure.body, status=failure.status, headers=failure.headers
                )
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        path = request.path
        model = body.get("model", "deployment") if isinstance(body, dict) else "deployment"
        if path.endswith("/responses"):
            if body.get("stream"):
                return await self._stream_response(request, model)
            return web.json_response(self._response(model))
        if path.endswith("/chat/completions"):
            if body.get("stream"):
                return await self._stream_chat(request, body, model)
            return web.json_response(self._chat(body, model))
        if path.endswith("/completions"):
            return web.json_response(
                {
                    "id": "cmpl-1",
                    "object": "text_completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {"index": 0, "text": self.reply, "logprobs": None, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
                }
            )
        if path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            return web.json_response(
                {
                    "object": "list",
                    "data": [
                        {"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]}
                        for i in range(len(inputs))
                    ],
                    "model": model,
                    "usage": {"prompt_tokens": 4, "total_tokens": 4},
                }
            )
        if path.endswith("/images/generations"):
            return web.json_response({"created": 1, "data": [{"url": "https://img.example/1.png"}]})
        if path.endswith("/audio/transcriptions"):
            return web.json_response({"text": "transcribed words"})
        if path.endswith("/audio/speech"):
            return web.Response(body=b"ID3fake-mp3-bytes", content_type="audio/mpeg")
        if path.endswith("/moderations"):
            return web.json_response(
                {
                    "id": "modr-1",
                    "model": model,
                    "results": [
                        {
                            "flagged": True,
                            "categories": {"violence": True},
                            "category_scores": {"violence": 0.9},
                        }
                    ],
                }
            )
        return web.json_response({"error": {"message": "not found"}}, status=404)

    def _chat(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.reply, "refusal": None}
        finish = "stop"
        if self.tool_call is not None:
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_1", "type": "function", "function": self.tool_call}],
            }
            finish = "tool_calls"
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": 3,
                "total_tokens": 12,
                "prompt_tokens_details": {"cached_tokens": 2},
            },
        }

    async def _stream_chat(
        self, request: web.Request, body: dict[str, Any], model: str
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": model,
        }
        words = self.reply.split(" ")
        usage = {
            "prompt_tokens": 9,
            "completion_tokens": len(words),
            "total_tokens": 9 + len(words),
        }
        try:
            if self.tool_call is not None:
                await self._stream_tool_call(response, base)
                words = []
            for i, word in enumerate(words):
                delta: dict[str, Any] = {"content": word if i == 0 else " " + word}
                if i == 0:
                    delta["role"] = "assistant"
                chunk: dict[str, Any] = {
                    **base,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                if self.usage_on_every_chunk:
                    chunk["usage"] = None
                await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
                if self.break_stream_after is not None and i + 1 >= self.break_stream_after:
                    assert request.transport is not None
                    request.transport.close()
                    return response
                if self.chunk_delay:
                    await asyncio.sleep(self.chunk_delay)
            finish = "tool_calls" if self.tool_call is not None else "stop"
            end = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
            await response.write(f"data: {json.dumps(end)}\n\n".encode())
            if (body.get("stream_options") or {}).get("include_usage"):
                final = {**base, "choices": [], "usage": usage}
                await response.write(f"data: {json.dumps(final)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            self.stream_cancelled.set()
            raise
        return response

    def _response(self, model: str, status: str = "completed") -> dict[str, Any]:
        """A native Responses answer (``resp_fake``) with the scripted reply."""
        content = {"type": "output_text", "text": self.reply, "annotations": []}
        item = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [content],
        }
        usage = {
            "input_tokens": 11,
            "input_tokens_details": {"cached_tokens": 1},
            "output_tokens": 4,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 15,
        }
        return {
            "id": "resp_fake",
            "object": "response",
            "created_at": 1,
            "status": status,
            "model": model,
            "output": [item] if status == "completed" else [],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": usage if status == "completed" else None,
        }

    async def _stream_response(self, request: web.Request, model: str) -> web.StreamResponse:
        """A native Responses stream: created, one text delta per word, completed."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        where = {"item_id": "msg_fake", "output_index": 0, "content_index": 0}
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": self._response(model, "in_progress")}
        ]
        for i, word in enumerate(self.reply.split(" ")):
            events.append(
                {"type": "response.output_text.delta", **where, "delta": (" " if i else "") + word}
            )
        events.append({"type": "response.completed", "response": self._response(model)})
        for number, event in enumerate(events):
            data = json.dumps({**event, "sequence_number": number})
            await response.write(f"event: {event['type']}\ndata: {data}\n\n".encode())
        return response

    async def _stream_tool_call(self, response: web.StreamResponse, base: dict[str, Any]) -> None:
        """Stream the tool call as OpenAI does: id and name first, then argument pieces."""
        assert self.tool_call is not None
        arguments = self.tool_call["arguments"]
        pieces = [arguments[i : i + 5] for i in range(0, len(arguments), 5)]
        first = {
            "index": 0,
            "id": "call_1",
            "type": "function",
            "function": {"name": self.tool_call["name"], "arguments": ""},
        }
        deltas: list[dict[str, Any]] = [
            {"role": "assistant", "content": None, "tool_calls": [first]}
        ]
        deltas += [{"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces]
        for delta in deltas:
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
