"""A real Bedrock-runtime-shaped HTTP server on loopback.

It verifies every request's SigV4 signature (recomputed with botocore from the known
credentials; 403 ``InvalidSignatureException`` on mismatch), records the requests, and
answers Converse JSON or ConverseStream event-stream frames.
"""

from __future__ import annotations

import binascii
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = ["KEY_ID", "REGION", "SECRET", "FakeBedrock", "encode_frame"]

KEY_ID = "AKIDEXAMPLETESTKEY01"
SECRET = "test-secret-key-for-the-fake-bedrock"
REGION = "us-east-1"
# The error type Bedrock names for each status (``x-amzn-ErrorType``).
ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}


def _header(name: str, value: str) -> bytes:
    raw_name = name.encode()
    raw_value = value.encode()
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + b"\x07"
        + struct.pack("!H", len(raw_value))
        + raw_value
    )


def encode_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream message: prelude (lengths + CRC), string headers, payload, CRC."""
    raw_headers = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(raw_headers))
    prelude += struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + raw_headers + payload
    return message + struct.pack("!I", binascii.crc32(message) & 0xFFFFFFFF)


def event(kind: str, payload: dict[str, Any]) -> bytes:
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return encode_frame(headers, json.dumps(payload).encode())


def exception(kind: str, message: str) -> bytes:
    headers = {
        ":exception-type": kind,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_frame(headers, json.dumps({"message": message}).encode())


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    error_type: str
    message: str = "boom"


@dataclass
class Answer:
    """What the next answers hold (the defaults: a short text reply)."""

    text: str = "Hello from Bedrock!"
    stop_reason: str = "end_turn"
    tool: dict[str, Any] | None = None
    usage: dict[str, int] = field(
        default_factory=lambda: {"inputTokens": 11, "outputTokens": 7, "totalTokens": 18}
    )


class FakeBedrock:
    """Start with ``await FakeBedrock().start()``; the deployment's endpoint is ``root``."""

    def __init__(self, *, token: str | None = None, reply: str | None = None) -> None:
        self.credentials = Credentials(KEY_ID, SECRET, token)
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        self.answer = Answer() if reply is None else Answer(text=reply)
        self.stream_exception: tuple[str, str] | None = None
        self.frame_split = 7
        self.api_key: str | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeBedrock:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("POST", "/model/{model}/{action}", self._handle)
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

    def fail_next(
        self, status: int, message: str = "boom", *, error_type: str | None = None
    ) -> None:
        """Answer the next request with ``status``; the error type follows it unless given."""
        kind = error_type or ERROR_TYPES.get(status, "InternalServerException")
        self.failures.append(Failure(status, kind, message))

    def _signature_ok(self, request: web.Request, body: bytes) -> bool:
        authorization = request.headers.get("Authorization", "")
        if self.api_key is not None and authorization.startswith("Bearer "):
            return authorization == f"Bearer {self.api_key}"
        parts = dict(
            item.strip().split("=", 1)
            for item in authorization.removeprefix("AWS4-HMAC-SHA256 ").split(",")
            if "=" in item
        )
        credential = parts.get("Credential", "").split("/")
        if len(credential) != 5 or credential[0] != KEY_ID or credential[2] != REGION:
            return False
        if credential[3] != "bedrock":
            return False
        names = parts.get("SignedHeaders", "").split(";")
        headers = {name: request.headers.get(name, "") for name in names if name != "host"}
        signed = AWSRequest(
            method=request.method, url=f"{self.root}{request.raw_path}", data=body, headers=headers
        )
        signed.context["timestamp"] = request.headers.get("X-Amz-Date", "")
        signer = SigV4Auth(self.credentials, "bedrock", REGION)
        canonical = signer.canonical_request(signed)
        expected = signer.signature(signer.string_to_sign(signed, canonical), signed)
        token_ok = self.credentials.token == request.headers.get("X-Amz-Security-Token")
        return parts.get("Signature") == expected and token_ok

    def _error(self, status: int, error_type: str, message: str) -> web.Response:
        return web.json_response(
            {"message": message},
            status=status,
            headers={"x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/coral/"},
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        if not self._signature_ok(request, raw):
            return self._error(
                403,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.",
            )
        body = json.loads(raw)
        self.requests.append(Recorded(request.raw_path, dict(request.headers), body))
        if self.failures:
            failure = self.failures.pop(0)
            return self._error(failure.status, failure.error_type, failure.message)
        if request.match_info["action"] == "converse-stream":
            return await self._stream(request)
        content: list[dict[str, Any]] = []
        if self.answer.text:
            content.append({"text": self.answer.text})
        if self.answer.tool is not None:
            content.append({"toolUse": self.answer.tool})
        return web.json_response(
            {
                "output": {"message": {"role": "assistant", "content": content}},
                "stopReason": self.answer.stop_reason,
                "usage": self.answer.usage,
                "metrics": {"latencyMs": 12},
            }
        )

    def _frames(self) -> list[bytes]:
        frames = [event("messageStart", {"role": "assistant"})]
        index = 0
        if self.answer.text:
            for piece in (self.answer.text[:5], self.answer.text[5:]):
                frames.append(
                    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
                )
            frames.append(event("contentBlockStop", {"contentBlockIndex": 0}))
            index = 1
        if self.stream_exception is not None:
            frames.append(exception(*self.stream_exception))
            return frames
        if self.answer.tool is not None:
            tool = self.answer.tool
            start = {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}}
            frames.append(event("contentBlockStart", {"contentBlockIndex": index, "start": start}))
            arguments = json.dumps(tool["input"])
            for cut in range(0, len(arguments), 4):
                delta = {"toolUse": {"input": arguments[cut : cut + 4]}}
                frames.append(
                    event("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})
                )
            frames.append(event("contentBlockStop", {"contentBlockIndex": index}))
        frames.append(event("messageStop", {"stopReason": self.answer.stop_reason}))
        frames.append(event("metadata", {"usage": self.answer.usage, "metrics": {"latencyMs": 9}}))
        return frames

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/vnd.amazon.eventstream"}
        )
        await response.prepare(request)
        data = b"".join(self._frames())
        # Written in small pieces, so frames arrive split across network chunks.
        for cut in range(0, len(data), self.frame_split):
            await response.write(data[cut : cut + self.frame_split])
        await response.write_eof()
        return response
