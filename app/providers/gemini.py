"""Google AI Studio's Gemini API (``generateContent``) behind the OpenAI interface.

Chat requests are translated in :mod:`app.providers.gemini_request`, answers and streams
in :mod:`app.providers.gemini_response`; this module speaks HTTP, with the key in
``x-goog-api-key``. Embeddings go to ``batchEmbedContents``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import msgspec

from app.errors import BadRequestError, UpstreamError
from app.providers.base import (
    Operation,
    Provider,
    ProviderCall,
    ProviderResult,
    ProviderStream,
    Usage,
)
from app.providers.gemini_request import to_gemini_request
from app.providers.gemini_response import GeminiStream, to_openai_response
from app.providers.inline_images import inline_remote_images
from app.providers.upstream_errors import error_from_upstream

__all__ = ["GeminiProvider"]

_encode = msgspec.json.encode


def _error(status: int, body: bytes, headers: Mapping[str, str]) -> Exception:
    """Gemini's ``{"error": {"code", "message", "status"}}`` read with the status as code."""
    try:
        data: Any = msgspec.json.decode(body)
    except msgspec.DecodeError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and error.get("status"):
        body = _encode({"error": {"message": error.get("message"), "code": error["status"]}})
    return error_from_upstream("gemini", status, body, headers)


def _embedding_inputs(body: dict[str, Any]) -> list[str]:
    value = body.get("input")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise BadRequestError(
        "input: gemini embeddings take a string or a list of strings", param="input"
    )


class GeminiProvider(Provider):
    name: ClassVar[str] = "gemini"
    operations: ClassVar[frozenset[Operation]] = frozenset({Operation.CHAT, Operation.EMBEDDING})
    default_api_base: ClassVar[str] = "https://generativelanguage.googleapis.com"

    def _model(self, call: ProviderCall) -> str:
        return str(call.body.get("model") or self.params.upstream_model).removeprefix("models/")

    def url(self, model: str, method: str) -> str:
        base = (self.params.api_base or self.default_api_base).rstrip("/")
        if not base.endswith(("/v1beta", "/v1")):
            base += "/v1beta"
        return f"{base}/models/{model}:{method}"

    def headers(self, *, stream: bool) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        if self.params.api_key is not None:
            headers["x-goog-api-key"] = self.params.api_key.get_secret_value()
        return headers

    async def _chat_body(self, call: ProviderCall) -> dict[str, Any]:
        body = await inline_remote_images(dict(call.body), self.fetcher)
        return to_gemini_request(body)

    async def call(self, call: ProviderCall, timeout: float) -> ProviderResult:
        self.check_supported(call.op)
        if call.op is Operation.EMBEDDING:
            return await self._embed(call, timeout)
        assert self.transport is not None
        model = self._model(call)
        body = await self._chat_body(call)
        response = await self.transport.send(
            "POST",
            self.url(model, "generateContent"),
            headers=self.headers(stream=False),
            body=_encode(body),
            timeout=timeout,
        )
        if response.status >= 400:
            raise _error(response.status, response.body, response.headers)
        content, usage = to_openai_response(response.body, model=model)
        return ProviderResult(content, "application/json", usage)

    async def stream(self, call: ProviderCall, timeout: float) -> ProviderStream:
        self.check_supported(call.op)
        if call.op is not Operation.CHAT:
            raise BadRequestError(f"gemini does not stream {call.op.value}")
        assert self.transport is not None
        model = self._model(call)
        body = await self._chat_body(call)
        response = await self.transport.open_stream(
            "POST",
            self.url(model, "streamGenerateContent"),
            headers=self.headers(stream=True),
            body=_encode(body),
            timeout=timeout,
            params={"alt": "sse"},
        )
        if response.status >= 400:
            content = await response.read()
            raise _error(response.status, content, response.headers)
        return GeminiStream(response, model=model, include_usage=call.include_usage)

    async def _embed(self, call: ProviderCall, timeout: float) -> ProviderResult:
        assert self.transport is not None
        model = self._model(call)
        request: dict[str, Any] = {"model": f"models/{model}"}
        if call.body.get("dimensions") is not None:
            request["outputDimensionality"] = call.body["dimensions"]
        texts = _embedding_inputs(call.body)
        body = {"requests": [{**request, "content": {"parts": [{"text": t}]}} for t in texts]}
        response = await self.transport.send(
            "POST",
            self.url(model, "batchEmbedContents"),
            headers=self.headers(stream=False),
            body=_encode(body),
            timeout=timeout,
        )
        if response.status >= 400:
            raise _error(response.status, response.body, response.headers)
        try:
            answer: Any = msgspec.json.decode(response.body)
            vectors = [item["values"] for item in answer["embeddings"]]
        except (msgspec.DecodeError, KeyError, TypeError):
            raise UpstreamError("gemini returned an unreadable embeddings answer") from None
        usage = Usage()
        content = {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)
            ],
            "model": model,
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }
        return ProviderResult(_encode(content), "application/json", usage)
