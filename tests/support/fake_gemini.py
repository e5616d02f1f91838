"""A real Gemini API server on loopback, standing in for generativelanguage.googleapis.com.

Tests script it: queue failures (Gemini error bodies), function calls, a finish reason,
thought tokens; it records every request. Like the real API it rejects requests without
``x-goog-api-key`` and routes by ``/v1beta/models/{model}:{method}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["STATUSES", "FakeGemini", "RecordedRequest", "error_body"]

STATUSES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
PROMPT_TOKENS = 11
CANDIDATE_TOKENS = 5
CACHED_TOKENS = 4


@dataclass
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def error_body(status: int, message: str) -> dict[str, Any]:
    return {
        "error": {"code": status, "message": message, "status": STATUSES.get(status, "UNKNOWN")}
    }


class FakeGemini:
    """Start with ``await FakeGemini().start()``; ``root`` is the api_base."""

    def __init__(self, *, reply: str = "Hello from Gemini!") -> None:
        self.reply = reply
        self.requests: list[RecordedRequest] = []
        self.failures: list[Failure] = []
        self.function_calls: list[dict[str, Any]] = []
        self.finish_reason = "STOP"
        self.thoughts_tokens = 0
        self.thought_signature: str | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeGemini:
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

    def fail_next(self, status: int, message: str = "boom", **headers: str) -> None:
        self.failures.append(Failure(status, error_body(status, message), headers))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(
            RecordedRequest(request.path, dict(request.query), dict(request.headers), body)
        )
        if self.failures:
            failure = self.failures.pop(0)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        if not request.headers.get("x-goog-api-key"):
            return web.json_response(error_body(403, "API key required"), status=403)
        model, _, method = request.path.removeprefix("/v1beta/models/").partition(":")
        if not request.path.startswith("/v1beta/models/") or not model:
            return web.json_response(error_body(404, f"no route {request.path}"), status=404)
        if method == "generateContent":
            return web.json_response(self._answer(model, self._parts()))
        if method == "streamGenerateContent" and request.query.get("alt") == "sse":
            return await self._stream(request, model)
        if method == "batchEmbedContents":
            vectors = [{"values": [0.1 * (i + 1), 0.2, 0.3]} for i in range(len(body["requests"]))]
            return web.json_response({"embeddings": vectors})
        return web.json_response(error_body(404, f"no method {method}"), status=404)

    def _parts(self) -> list[dict[str, Any]]:
        if self.function_calls:
            signature = (
                {"thoughtSignature": self.thought_signature} if self.thought_signature else {}
            )
            return [{"functionCall": call, **signature} for call in self.function_calls]
        return [{"text": self.reply}]

    def _usage(self) -> dict[str, Any]:
        usage = {
            "promptTokenCount": PROMPT_TOKENS,
            "candidatesTokenCount": CANDIDATE_TOKENS,
            "cachedContentTokenCount": CACHED_TOKENS,
            "totalTokenCount": PROMPT_TOKENS + CANDIDATE_TOKENS + self.thoughts_tokens,
        }
        if self.thoughts_tokens:
            usage["thoughtsTokenCount"] = self.thoughts_tokens
        return usage

    def _answer(
        self, model: str, parts: list[dict[str, Any]], *, final: bool = True
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        answer: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": model,
            "responseId": "resp-1",
        }
        if final:
            candidate["finishReason"] = self.finish_reason
            answer["usageMetadata"] = self._usage()
        return answer

    async def _stream(self, request: web.Request, model: str) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if self.function_calls:
            events = [self._answer(model, self._parts())]
        else:
            words = self.reply.split(" ")
            pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
            events = [
                self._answer(model, [{"text": p}], final=i == len(pieces) - 1)
                for i, p in enumerate(pieces)
            ]
        for event in events:
            await response.write(f"data: {json.dumps(event)}\r\n\r\n".encode())
        await response.write_eof()
        return response
