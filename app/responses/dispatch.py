"""Sending a Responses call to any provider.

A provider that lists :attr:`Operation.RESPONSES` among its operations speaks OpenAI's
Responses API natively and gets the body as it came (with the deployment's model), unless
its deployment says ``supports_responses_api: false``. Every other provider is called with
the translated chat body, and its answer or stream is translated back.
"""

from __future__ import annotations

from typing import Any

import msgspec

from app.providers.base import Operation, Provider, ProviderCall, ProviderResult, ProviderStream
from app.responses.request import GATEWAY_FIELDS, to_chat_body
from app.responses.response import to_response
from app.responses.stream import ChatToResponsesStream
from app.tokens import estimate_prompt_tokens

__all__ = ["call_provider", "native", "open_provider_stream"]

# Chat upstreams known to take ``reasoning_effort``.
_REASONING_PROVIDERS = frozenset({"openai", "azure"})


def native(provider: Provider) -> bool:
    """Whether ``provider`` is sent Responses calls as they are."""
    declared = getattr(provider.params, "supports_responses_api", None)
    return Operation.RESPONSES in provider.operations and declared is not False


# Chat parameters a deployment may set as defaults that the Responses API does not take.
_CHAT_ONLY = frozenset(
    {"max_tokens", "max_completion_tokens", "frequency_penalty", "presence_penalty", "stop"}
    | {"n", "logit_bias", "seed", "response_format"}
)


def _upstream(body: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k not in GATEWAY_FIELDS | _CHAT_ONLY}
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if "max_output_tokens" not in out and isinstance(limit, int):
        out["max_output_tokens"] = limit
    return out


def _chat_body(provider: Provider, body: dict[str, Any]) -> dict[str, Any]:
    return to_chat_body(
        body,
        drop_params=bool(body.get("drop_params")),
        reasoning=provider.name in _REASONING_PROVIDERS,
    )


async def call_provider(provider: Provider, call: ProviderCall, timeout: float) -> ProviderResult:
    if call.op is not Operation.RESPONSES:
        return await provider.call(call, timeout)
    if native(provider):
        return await provider.call(ProviderCall(call.op, _upstream(call.body)), timeout)
    chat = ProviderCall(Operation.CHAT, _chat_body(provider, call.body))
    result = await provider.call(chat, timeout)
    store = bool(call.body.get("deltallm_store"))
    answer = to_response(result.content, result.usage, call.body, store=store)
    return ProviderResult(msgspec.json.encode(answer), "application/json", result.usage)


async def open_provider_stream(
    provider: Provider, call: ProviderCall, timeout: float
) -> ProviderStream:
    if call.op is not Operation.RESPONSES:
        return await provider.stream(call, timeout)
    if native(provider):
        upstream = ProviderCall(call.op, _upstream(call.body), stream=True)
        return await provider.stream(upstream, timeout)
    body = _chat_body(provider, call.body)
    body["stream"] = True
    chat = ProviderCall(Operation.CHAT, body, stream=True, include_usage=True)
    inner = await provider.stream(chat, timeout)
    return ChatToResponsesStream(
        inner,
        call.body,
        input_estimate=estimate_prompt_tokens(body),
        store=bool(call.body.get("deltallm_store")),
    )
