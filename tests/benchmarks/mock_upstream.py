"""A fast mock OpenAI upstream: a bare asyncio Protocol HTTP/1.1 server on uvloop.

``python -m tests.benchmarks.mock_upstream [--port N]`` prints ``PORT <n>`` on stdout once it
listens. ``POST .../chat/completions`` answers a fixed chat.completion at once; with
``"stream": true`` it answers a few ``chat.completion.chunk`` SSE events (plus the usage chunk
when ``stream_options.include_usage`` is set) and ``data: [DONE]``. Keep-alive and pipelined
requests with Content-Length or chunked bodies are handled; answers are precomputed bytes so
that this server costs a small fraction of what the gateway does per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from typing import Any, cast

import uvloop

__all__ = ["COMPLETION", "main", "serve"]

_CREATED = 1_700_000_000
_USAGE = {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}
COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": _CREATED,
    "model": "mock",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello from the mock.", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": _USAGE,
    "system_fingerprint": "fp_bench",
}
_MAX_HEAD = 64 * 1024


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": "mock",
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def _sse_events(include_usage: bool) -> list[bytes]:
    chunks = [_chunk({"role": "assistant", "content": ""}, None)]
    chunks += [_chunk({"content": piece}, None) for piece in ("Hello", " from", " the", " mock.")]
    chunks.append(_chunk({}, "stop"))
    if include_usage:
        usage = _chunk({}, None)
        usage["choices"] = []
        usage["usage"] = _USAGE
        chunks.append(usage)
    events = [b"data: " + _dumps(c) + b"\n\n" for c in chunks]
    return [*events, b"data: [DONE]\n\n"]


def _head(status: str, content_type: str, extra: str, close: bool) -> bytes:
    connection = "close" if close else "keep-alive"
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}"
        f"Connection: {connection}\r\n\r\n"
    ).encode()


def _whole(status: str, body: bytes, close: bool, content_type: str = "application/json") -> bytes:
    return _head(status, content_type, f"Content-Length: {len(body)}\r\n", close) + body


def _stream(include_usage: bool, close: bool) -> bytes:
    head = _head(
        "200 OK",
        "text/event-stream",
        "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n",
        close,
    )
    body = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in _sse_events(include_usage))
    return head + body + b"0\r\n\r\n"


def _table(close: bool) -> dict[str, bytes]:
    def fail(status: str, message: str) -> bytes:
        error = {"message": message, "type": "invalid_request_error", "code": None}
        return _whole(status, _dumps({"error": error}), close)

    models = {"object": "list", "data": [{"id": "mock", "object": "model", "owned_by": "bench"}]}
    return {
        "chat": _whole("200 OK", _dumps(COMPLETION), close),
        "stream": _stream(False, close),
        "stream_usage": _stream(True, close),
        "models": _whole("200 OK", _dumps(models), close),
        "bad_json": fail("400 Bad Request", "The body is not valid JSON."),
        "not_found": fail("404 Not Found", "No such route on the mock upstream."),
    }


_ANSWERS = {False: _table(False), True: _table(True)}


def _answer(method: str, target: str, body: bytes, close: bool) -> bytes:
    table = _ANSWERS[close]
    path = target.split("?", 1)[0]
    if method == "POST" and path.endswith("/chat/completions"):
        try:
            payload = json.loads(body)
        except ValueError:
            return table["bad_json"]
        if not isinstance(payload, dict):
            return table["bad_json"]
        if payload.get("stream"):
            options = payload.get("stream_options") or {}
            usage = isinstance(options, dict) and bool(options.get("include_usage"))
            return table["stream_usage" if usage else "stream"]
        return table["chat"]
    if method == "GET" and path.endswith("/models"):
        return table["models"]
    return table["not_found"]


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """A chunked body starting at ``pos``: (body, end offset), or None while incomplete."""
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        pos = eol + 2
        if size == 0:
            if buf[pos : pos + 2] == b"\r\n":
                return b"".join(parts), pos + 2
            end = buf.find(b"\r\n\r\n", pos)
            return None if end < 0 else (b"".join(parts), end + 4)
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


class _Http(asyncio.Protocol):
    __slots__ = ("_buf", "_transport")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        transport = self._transport
        if transport is None:
            return
        buf = self._buf
        buf += data
        out: list[bytes] = []
        close = False
        while not close:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_HEAD:
                    close = True
                break
            lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            length, chunked, close = 0, False, version == "HTTP/1.0"
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding":
                    chunked = "chunked" in value.lower()
                elif name == "connection":
                    token = value.strip().lower()
                    close = True if token == "close" else False if token == "keep-alive" else close
            if chunked:
                parsed = _dechunk(buf, end + 4)
                if parsed is None:
                    break
                body, consumed = parsed
            else:
                consumed = end + 4 + length
                if len(buf) < consumed:
                    break
                body = bytes(buf[end + 4 : consumed])
            del buf[:consumed]
            out.append(_answer(method, target, body, close))
        if out:
            transport.write(b"".join(out) if len(out) > 1 else out[0])
        if close:
            transport.close()


async def _watch_parent(parent: int) -> None:
    """Exit when the process that started us is gone (no orphan servers)."""
    while True:
        await asyncio.sleep(1.0)
        if os.getppid() != parent:
            return


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Http, host, port, backlog=2048, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    async with server:
        await _watch_parent(os.getppid())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the benchmark stops us with SIGTERM
    uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
