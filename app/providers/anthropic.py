"""Anthropic's Messages API behind the OpenAI chat interface.

Requests are translated in :mod:`app.providers.anthropic_request`, answers and streams
in :mod:`app.providers.anthropic_response`; this module only speaks HTTP.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from app.providers.anthropic_native import (
    NativeMessagesStream,
    answer_usage,
    beta_headers,
    native_body,
)
from app.providers.anthropic_request import to_anthropic_request
from app.providers.anthropic_response import AnthropicStream, to_openai_response
from app.providers.base import Operation, Provider, ProviderCall, ProviderResult, ProviderStream
from app.providers.inline_images import inline_remote_images
from app.providers.upstream_errors import error_from_upstream

__all__ = ["ANTHROPIC_VERSION", "AnthropicProvider"]

ANTHROPIC_VERSION = "2023-06-01"

_encode = msgspec.json.encode


class AnthropicProvider(Provider):
    name: ClassVar[str] = "anthropic"
    operations: ClassVar[frozenset[Operation]] = frozenset({Operation.CHAT, Operation.MESSAGES})
    default_api_base: ClassVar[str] = "https://api.anthropic.com"

    def url(self) -> str:
        base = (self.params.api_base or self.default_api_base).rstrip("/")
        return f"{base.removesuffix('/v1')}/v1/messages"

    def headers(self, call: ProviderCall, *, stream: bool) -> dict[str, str]:
        headers = {
            "anthropic-version": ANTHROPIC_VERSION,
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        if self.params.api_key is not None:
            headers["x-api-key"] = self.params.api_key.get_secret_value()
        if call.op is Operation.MESSAGES:
            headers.update(beta_headers(call))
        return headers

    async def upstream_body(self, call: ProviderCall, *, stream: bool) -> dict[str, Any]:
        """The Messages body (the router has already applied deployment defaults)."""
        if call.op is Operation.MESSAGES:
            return native_body(call, stream=stream)
        body = await inline_remote_images(dict(call.body), self.fetcher)
        body.setdefault("model", self.params.upstream_model)
        return to_anthropic_request(body, stream=stream)

    async def call(self, call: ProviderCall, timeout: float) -> ProviderResult:
        self.check_supported(call.op)
        assert self.transport is not None
        body = await self.upstream_body(call, stream=False)
        response = await self.transport.send(
            "POST",
            self.url(),
            headers=self.headers(call, stream=False),
            body=_encode(body),
            timeout=timeout,
        )
        if response.status >= 400:
            raise error_from_upstream(self.name, response.status, response.body, response.headers)
        if call.op is Operation.MESSAGES:
            return ProviderResult(response.body, "application/json", answer_usage(response.body))
        content, usage = to_openai_response(response.body, model=str(body["model"]))
        return ProviderResult(content, "application/json", usage)

    async def stream(self, call: ProviderCall, timeout: float) -> ProviderStream:
        self.check_supported(call.op)
        assert self.transport is not None
        body = await self.upstream_body(call, stream=True)
        response = await self.transport.open_stream(
            "POST",
            self.url(),
            headers=self.headers(call, stream=True),
            body=_encode(body),
            timeout=timeout,
        )
        if response.status >= 400:
            content = await response.read()
            raise error_from_upstream(self.name, response.status, content, response.headers)
        if call.op is Operation.MESSAGES:
            return NativeMessagesStream(response)
        return AnthropicStream(response, model=str(body["model"]), include_usage=call.include_usage)
