"""``/v1/messages`` to an Anthropic deployment passes through natively: the caller's body
reaches the upstream as sent (thinking blocks, signatures, cache-control kept), answers
and stream bytes come back unchanged, and usage is still read for spend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import anthropic
import httpx
import pytest
from sqlmodel import select

from app.spend.models import SpendLog
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
# A conversation Claude Code sends back: a signed thinking block, cache-control blocks.
SIGNATURE = "EqQBCkgIARABGAIiQL+/9x\u00e9\\/+sig=="
CONVERSATION: dict[str, Any] = {
    "model": "claude-test",
    "max_tokens": 64,
    "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "messages": [
        {"role": "user", "content": "What is 2+2?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Add them.", "signature": SIGNATURE},
                {"type": "text", "text": "4"},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "And 3+3?", "cache_control": {"type": "ephemeral"}}
            ],
        },
    ],
}


@pytest.fixture
async def fake_anthropic() -> AsyncIterator[FakeAnthropic]:
    server = await FakeAnthropic(reply="Six it is").start()
    server.thinking = "Three and three."
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def gateway(
    fake_anthropic: FakeAnthropic, fake_openai: FakeOpenAI
) -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [
            {
                "model_name": "claude-test",
                "deltallm_params": {
                    "model": "anthropic/claude-test",
                    "api_base": fake_anthropic.root,
                    "api_key": "sk-ant-upstream",
                    "max_tokens": 1000,  # chat defaults: the caller's max_tokens wins,
                    "frequency_penalty": 0.5,  # and chat-only ones stay off Messages calls
                    **PRICE,
                },
            },
            {
                "model_name": "claude-*",
                "deltallm_params": {
                    "model": "anthropic/claude-*",
                    "api_base": fake_anthropic.root,
                    "api_key": "sk-ant-upstream",
                },
            },
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "api_base": fake_openai.base_url},
            },
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        yield gw


def client(gw: RunningGateway) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=gw.root, api_key=gw.master_key, max_retries=0)


async def post_both(
    gw: RunningGateway, fake: FakeAnthropic, body: dict[str, Any]
) -> tuple[httpx.Response, httpx.Response]:
    """The same call through the gateway and straight to the upstream."""
    headers = {"anthropic-version": "2023-06-01"}
    async with httpx.AsyncClient() as http:
        through = await http.post(
            f"{gw.root}/v1/messages", json=body, headers={**headers, "x-api-key": gw.master_key}
        )
        direct = await http.post(
            f"{fake.root}/v1/messages", json=body, headers={**headers, "x-api-key": "sk-ant"}
        )
    return through, direct


async def test_answer_and_request_pass_through_unchanged(
    gateway: RunningGateway, fake_anthropic: FakeAnthropic
) -> None:
    through, direct = await post_both(gateway, fake_anthropic, CONVERSATION)
    assert through.status_code == 200
    assert through.content == direct.content
    sent = fake_anthropic.requests[0]
    assert sent.body == CONVERSATION
    assert sent.headers["x-api-key"] == "sk-ant-upstream"
    assert sent.body["messages"][1]["content"][0]["signature"] == SIGNATURE


async def test_stream_bytes_pass_through_and_usage_is_spent(
    gateway: RunningGateway, fake_anthropic: FakeAnthropic
) -> None:
    through, direct = await post_both(gateway, fake_anthropic, {**CONVERSATION, "stream": True})
    assert through.headers["content-type"].startswith("text/event-stream")
    assert through.content == direct.content
    await gateway.runtime.gateway.settler.drain()
    await gateway.runtime.spend_queue.flush()
    async with gateway.runtime.sessions() as session:
        row = (await session.exec(select(SpendLog))).one()
    # 12 input + 3 cache-read + 2 cache-creation tokens; 3 words + 5 output tokens.
    assert (row.call_type, row.prompt_tokens, row.completion_tokens) == ("messages", 17, 8)
    assert row.cached_tokens == 3 and row.cost == Decimal("0.025")


async def test_sdk_stream_keeps_thinking_and_its_signature(gateway: RunningGateway) -> None:
    async with (
        client(gateway) as sdk,
        sdk.messages.stream(**CONVERSATION) as stream,
    ):
        final = await stream.get_final_message()
    thinking, text = final.content
    assert thinking.type == "thinking" and thinking.thinking == "Three and three."
    assert thinking.signature == "sig"
    assert text.type == "text" and text.text == "Six it is"
    assert final.usage.input_tokens == 12 and final.usage.cache_read_input_tokens == 3


async def test_tools_and_beta_header_go_through(
    gateway: RunningGateway, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.thinking = None
    fake_anthropic.tool_call = {"name": "get_weather", "input": {"city": "Paris"}}
    async with client(gateway) as sdk:
        message = await sdk.messages.create(
            model="claude-test",
            max_tokens=32,
            messages=[{"role": "user", "content": "Weather?"}],
            tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
            extra_headers={"anthropic-beta": "fine-grained-tool-streaming-2025-05-14"},
        )
    assert message.stop_reason == "tool_use"
    assert message.content[-1].type == "tool_use"
    assert message.content[-1].input == {"city": "Paris"}
    sent = fake_anthropic.requests[0]
    assert sent.headers["anthropic-beta"] == "fine-grained-tool-streaming-2025-05-14"
    assert "anthropic_beta" not in sent.body


async def test_upstream_errors_keep_their_meaning(
    gateway: RunningGateway, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.fail_next(400, "messages.0: bad block")
    async with client(gateway) as sdk:
        with pytest.raises(anthropic.BadRequestError) as bad:
            await sdk.messages.create(**CONVERSATION)
        assert bad.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
        for _ in range(5):
            fake_anthropic.fail_next(529, "Overloaded")
        with pytest.raises(anthropic.InternalServerError) as busy:
            await sdk.messages.create(**CONVERSATION)
    assert busy.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


async def test_mid_stream_error_reaches_the_caller(
    gateway: RunningGateway, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.stream_error = "Overloaded"
    async with client(gateway) as sdk:
        with pytest.raises(anthropic.APIStatusError) as failed:
            async with sdk.messages.stream(**CONVERSATION) as stream:
                await stream.get_final_message()
    assert "Overloaded" in str(failed.value)


async def test_claude_code_model_names_through_a_wildcard(
    gateway: RunningGateway, fake_anthropic: FakeAnthropic
) -> None:
    async with anthropic.AsyncAnthropic(
        base_url=gateway.root, auth_token=gateway.master_key, max_retries=0
    ) as sdk:
        message = await sdk.messages.create(
            model="claude-sonnet-4-5-20250929",
            max_tokens=16,
            messages=[{"role": "user", "content": "Hi"}],
        )
    assert message.model == "claude-sonnet-4-5-20250929"
    assert fake_anthropic.requests[0].body["model"] == "claude-sonnet-4-5-20250929"


async def test_anthropic_and_openai_models_side_by_side(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with client(gateway) as sdk:
        message = await sdk.messages.create(
            model="gpt-a", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]
        )
    assert message.content[0].type == "text" and message.content[0].text == "Hello there!"
    assert fake_openai.requests[0].path == "/v1/chat/completions"
