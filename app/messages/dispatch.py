"""Sending a Messages call to any provider.

A provider that lists :attr:`Operation.MESSAGES` among its operations speaks Anthropic's
Messages API natively and gets the body as it came. Every other provider is called with
the translated chat body, and its answer or stream is translated back.
"""

from __future__ import annotations

from app.messages.request import to_chat_body
from app.messages.response import to_message
from app.messages.stream import ChatToMessagesStream
from app.providers.base import Operation, Provider, ProviderCall, ProviderResult, ProviderStream
from app.tokens import estimate_prompt_tokens

__all__ = ["call_provider", "open_provider_stream"]


def _translated(call: ProviderCall, provider: Provider) -> bool:
    return call.op is Operation.MESSAGES and Operation.MESSAGES not in provider.operations


async def call_provider(provider: Provider, call: ProviderCall, timeout: float) -> ProviderResult:
    if not _translated(call, provider):
        return await provider.call(call, timeout)
    chat = ProviderCall(Operation.CHAT, to_chat_body(call.body))
    result = await provider.call(chat, timeout)
    content = to_message(result.content, result.usage, model=str(call.body["model"]))
    return ProviderResult(content, "application/json", result.usage, result.headers)


async def open_provider_stream(
    provider: Provider, call: ProviderCall, timeout: float
) -> ProviderStream:
    if not _translated(call, provider):
        return await provider.stream(call, timeout)
    body = to_chat_body(call.body)
    body["stream"] = True
    chat = ProviderCall(Operation.CHAT, body, stream=True, include_usage=True)
    inner = await provider.stream(chat, timeout)
    return ChatToMessagesStream(
        inner, model=str(call.body["model"]), input_estimate=estimate_prompt_tokens(body)
    )
