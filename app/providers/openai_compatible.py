"""Any server that speaks OpenAI's API: OpenAI itself, vLLM, Ollama, Groq, Together, ...

An OpenAI-compatible upstream is configuration (``api_base``, ``api_key``), not code.
Bodies pass through as the upstream wrote them; only usage is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import msgspec

from app.errors import UpstreamError
from app.providers.base import (
    Operation,
    Provider,
    ProviderCall,
    ProviderResult,
    ProviderStream,
    Usage,
)
from app.providers.sse import OpenAIStreamRelay
from app.providers.transport import form_data
from app.providers.upstream_errors import error_from_upstream
from app.responses.native import ResponsesStreamRelay

__all__ = ["OpenAICompatibleProvider"]

PATHS: Mapping[Operation, str] = {
    Operation.CHAT: "/chat/completions",
    Operation.COMPLETION: "/completions",
    Operation.EMBEDDING: "/embeddings",
    Operation.IMAGE_GENERATION: "/images/generations",
    Operation.TRANSCRIPTION: "/audio/transcriptions",
    Operation.SPEECH: "/audio/speech",
    Operation.MODERATION: "/moderations",
    Operation.RESPONSES: "/responses",
}


class _PromptDetails(msgspec.Struct):
    cached_tokens: int | None = 0


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0
    input_tokens: int | None = 0
    output_tokens: int | None = 0
    prompt_tokens_details: _PromptDetails | None = None
    input_tokens_details: _PromptDetails | None = None


class _WithUsage(msgspec.Struct):
    usage: _Usage | None = None


_decode_usage = msgspec.json.Decoder(_WithUsage).decode
_encode = msgspec.json.encode


# Operations whose successful answer is always a JSON object (speech is audio; a
# transcription is JSON only in its json formats).
_JSON_ANSWERS = frozenset(
    {
        Operation.CHAT,
        Operation.COMPLETION,
        Operation.EMBEDDING,
        Operation.IMAGE_GENERATION,
        Operation.MODERATION,
        Operation.RESPONSES,
    }
)


def _expects_json(call: ProviderCall) -> bool:
    if call.op is Operation.TRANSCRIPTION:
        return call.body.get("response_format", "json") in ("json", "verbose_json")
    return call.op in _JSON_ANSWERS


def _answer_usage(content: bytes) -> Usage | None:
    """The usage of an answer that must be one well-formed JSON object (the whole body is
    checked, the rest skipped); raises msgspec's errors when it is not."""
    usage = _decode_usage(content).usage
    if usage is None:
        return None
    details = usage.prompt_tokens_details or usage.input_tokens_details
    return Usage(
        prompt_tokens=usage.prompt_tokens or usage.input_tokens or 0,
        completion_tokens=usage.completion_tokens or usage.output_tokens or 0,
        cached_tokens=(details.cached_tokens or 0) if details else 0,
    )


class OpenAICompatibleProvider(Provider):
    name: ClassVar[str] = "openai"
    operations: ClassVar[frozenset[Operation]] = frozenset(Operation) - {Operation.MESSAGES}
    default_api_base: ClassVar[str] = "https://api.openai.com/v1"

    def url(self, op: Operation) -> str:
        base = (self.params.api_base or self.default_api_base).rstrip("/")
        return base + PATHS[op]

    def query_params(self) -> dict[str, str] | None:
        return None

    def headers(self, *, json: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if json:
            headers["Content-Type"] = "application/json"
        if self.params.api_key is not None:
            headers["Authorization"] = f"Bearer {self.params.api_key.get_secret_value()}"
        if self.params.organization:
            headers["OpenAI-Organization"] = self.params.organization
        return headers

    def upstream_body(self, call: ProviderCall) -> dict[str, Any]:
        return call.body

    async def call(self, call: ProviderCall, timeout: float) -> ProviderResult:
        self.check_supported(call.op)
        assert self.transport is not None
        body = self.upstream_body(call)
        if call.files:
            payload: Any = form_data(
                body, [(f.field, f.filename, f.content_type, f.data) for f in call.files]
            )
            headers = self.headers(json=False)
        else:
            payload = _encode(body)
            headers = self.headers(json=True)
        response = await self.transport.send(
            "POST",
            self.url(call.op),
            headers=headers,
            body=payload,
            timeout=timeout,
            params=self.query_params(),
        )
        if response.status >= 400:
            raise error_from_upstream(self.name, response.status, response.body, response.headers)
        media_type = response.headers.get("Content-Type", "application/json").split(";")[0].strip()
        if media_type == "application/json" or _expects_json(call):
            # A 200 with a cut or malformed body is the provider's fault, not an answer:
            # retried and sent to fallbacks like a 5xx, never passed on for the SDK to choke on.
            try:
                usage = _answer_usage(response.body)
            except (msgspec.DecodeError, msgspec.ValidationError):
                what = "malformed JSON" if media_type == "application/json" else media_type
                raise UpstreamError(f"{self.name} answered {response.status} with {what}") from None
            return ProviderResult(response.body, "application/json", usage)
        return ProviderResult(response.body, media_type, None)

    async def stream(self, call: ProviderCall, timeout: float) -> ProviderStream:
        self.check_supported(call.op)
        assert self.transport is not None
        body = dict(self.upstream_body(call))
        body["stream"] = True
        if call.op in (Operation.CHAT, Operation.COMPLETION):
            options = dict(body.get("stream_options") or {})
            options["include_usage"] = True
            body["stream_options"] = options
        headers = self.headers(json=True)
        headers["Accept"] = "text/event-stream"
        response = await self.transport.open_stream(
            "POST",
            self.url(call.op),
            headers=headers,
            body=_encode(body),
            timeout=timeout,
            params=self.query_params(),
        )
        if response.status >= 400:
            content = await response.read()
            raise error_from_upstream(self.name, response.status, content, response.headers)
        if call.op is Operation.RESPONSES:
            return ResponsesStreamRelay(response, forward_usage_chunk=True)
        return OpenAIStreamRelay(response, forward_usage_chunk=call.include_usage)
