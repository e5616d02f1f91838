"""``/v1/messages`` with the official Anthropic SDK, served by an OpenAI upstream: the
request, the answer and the stream are translated both ways, through the same admission,
budgets, limits and spend log as ``/v1/chat/completions``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import anthropic
import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from app.keys.spec import KeySpec
from app.spend.models import SpendLog
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
HI = [{"role": "user", "content": "Hi"}]
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def config(fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "api_base": fake.base_url, **PRICE},
            }
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(config(fake_openai)) as gw:
        yield gw


def client(gw: RunningGateway, key: str | None = None, **kw: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        base_url=gw.root, api_key=key or gw.master_key, max_retries=0, **kw
    )


def chat_body(fake: FakeOpenAI) -> dict[str, Any]:
    body = fake.requests[-1].body
    assert isinstance(body, dict)
    return body


async def spend(gw: RunningGateway, status: str = "ok") -> tuple[Decimal, int]:
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    query = select(func.coalesce(func.sum(SpendLog.cost), 0), func.count(col(SpendLog.id)))
    query = query.where(SpendLog.status == status, SpendLog.call_type == "messages")
    async with gw.runtime.sessions() as session:
        total, count = (await session.exec(query)).one()
    return Decimal(total), int(count)


async def test_text_with_system_and_turns(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    async with client(gateway) as sdk:
        message = await sdk.messages.create(
            model="gpt-a",
            max_tokens=50,
            system=[{"type": "text", "text": "Be kind."}],
            messages=[
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]},
                {"role": "user", "content": [{"type": "text", "text": "How are you?"}]},
            ],
            stop_sequences=["END"],
            extra_body={"temperature": 0.2},
        )
    assert message.type == "message" and message.role == "assistant"
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "Hello there!"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    # OpenAI's 9 prompt tokens include 2 cached ones; Anthropic counts those apart.
    assert message.usage.input_tokens == 7
    assert message.usage.cache_read_input_tokens == 2
    assert message.usage.output_tokens == 3
    sent = chat_body(fake_openai)
    assert sent["messages"] == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": [{"type": "text", "text": "How are you?"}]},
    ]
    assert sent["max_tokens"] == 50 and sent["stop"] == ["END"] and sent["temperature"] == 0.2


async def test_tool_use_round_trip(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    fake_openai.tool_call = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    async with client(gateway) as sdk:
        message = await sdk.messages.create(
            model="gpt-a",
            max_tokens=50,
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[WEATHER],  # type: ignore[list-item]
            tool_choice={"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True},
        )
        assert message.stop_reason == "tool_use"
        (call,) = message.content
        assert call.type == "tool_use" and call.name == "get_weather"
        assert call.input == {"city": "Paris"} and call.id == "call_1"
        sent = chat_body(fake_openai)
        assert sent["tools"] == [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": WEATHER["input_schema"],
                    "description": "Weather for a city",
                },
            }
        ]
        assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
        assert sent["parallel_tool_calls"] is False
        fake_openai.tool_call = None
        answer = await sdk.messages.create(
            model="gpt-a",
            max_tokens=50,
            tools=[WEATHER],  # type: ignore[list-item]
            messages=[
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": [call.model_dump()]},  # type: ignore[list-item]
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": call.id, "content": "Sunny"},
                        {"type": "text", "text": "And tomorrow?"},
                    ],
                },
            ],
        )
    assert answer.stop_reason == "end_turn"
    messages = chat_body(fake_openai)["messages"]
    assert messages[1]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    assert messages[2] == {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"}
    assert messages[3] == {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]}


async def stream_events(sdk: anthropic.AsyncAnthropic, **kw: Any) -> tuple[list[Any], Any]:
    async with sdk.messages.stream(model="gpt-a", max_tokens=50, **kw) as stream:
        events = [event async for event in stream]
        final = await stream.get_final_message()
    return events, final


async def test_streamed_text_in_the_order_the_sdk_expects(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        events, final = await stream_events(sdk, messages=HI)
    kinds = [e.type for e in events if e.type != "text"]  # the SDK keeps pings to itself
    assert kinds[0] == "message_start" and kinds.count("message_start") == 1
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds[1:-2] == [
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
    ]
    assert events[0].message.usage.input_tokens > 0
    delta = next(e for e in events if e.type == "message_delta")
    assert delta.delta.stop_reason == "end_turn"
    assert delta.usage.output_tokens == 2 and delta.usage.input_tokens == 9
    assert final.content[0].text == "Hello there!"
    assert final.usage.input_tokens == 9 and final.usage.output_tokens == 2


async def test_streamed_tool_call_arrives_whole(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    arguments = '{"city": "Paris", "unit": "celsius"}'
    fake_openai.tool_call = {"name": "get_weather", "arguments": arguments}
    async with client(gateway) as sdk:
        events, final = await stream_events(
            sdk, messages=HI, tools=[WEATHER], tool_choice={"type": "any"}
        )
    pieces = [
        e.delta.partial_json
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    ]
    assert len(pieces) > 1 and "".join(pieces) == arguments
    assert final.stop_reason == "tool_use"
    (call,) = final.content
    assert call.type == "tool_use" and call.input == json.loads(arguments)
    assert chat_body(fake_openai)["tool_choice"] == "required"
    assert chat_body(fake_openai)["stream_options"] == {"include_usage": True}


async def test_max_tokens_stop_reason(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    fake_openai.answer_next_raw(
        json.dumps(
            {
                "id": "chatcmpl-x",
                "object": "chat.completion",
                "model": "gpt-a",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Hel"},
                        "finish_reason": "length",
                    }
                ],
                "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5},
            }
        ).encode(),
        "application/json",
    )
    async with client(gateway) as sdk:
        message = await sdk.messages.create(model="gpt-a", max_tokens=1, messages=HI)
    assert message.stop_reason == "max_tokens"


async def test_keys_in_either_header(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec())
    async with client(gateway, created.secret) as sdk:
        assert (await sdk.messages.create(model="gpt-a", max_tokens=5, messages=HI)).content
    async with anthropic.AsyncAnthropic(
        base_url=gateway.root, auth_token=created.secret, max_retries=0
    ) as sdk:
        assert (await sdk.messages.create(model="gpt-a", max_tokens=5, messages=HI)).content


async def test_errors_in_anthropic_shape(gateway: RunningGateway) -> None:
    async with client(gateway, "sk-wrong") as sdk:
        with pytest.raises(anthropic.AuthenticationError) as denied:
            await sdk.messages.create(model="gpt-a", max_tokens=5, messages=HI)
    assert denied.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    async with client(gateway) as sdk:
        with pytest.raises(anthropic.BadRequestError) as bad:
            await sdk.messages.create(model="gpt-a", max_tokens=0, messages=HI)
        assert bad.value.body == {  # type: ignore[comparison-overlap]
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "max_tokens: must be a positive integer",
            },
        }
        with pytest.raises(anthropic.BadRequestError) as untranslatable:
            await sdk.messages.create(
                model="gpt-a",
                max_tokens=5,
                messages=HI,
                tools=[{"type": "web_search_20250305", "name": "web_search"}],
            )
        assert "tools.0: server tools cannot be sent" in untranslatable.value.message
        with pytest.raises(anthropic.NotFoundError):
            await sdk.messages.create(model="nope", max_tokens=5, messages=HI)
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        broken = await http.post(
            "/v1/messages", content=b"{", headers={"x-api-key": gateway.master_key}
        )
        unknown = await http.post(
            "/v1/messages/nowhere", json={}, headers={"x-api-key": gateway.master_key}
        )
        wrong_method = await http.get("/v1/messages")
    assert wrong_method.status_code == 405 and wrong_method.json()["type"] == "error"
    assert broken.status_code == 400 and broken.json()["type"] == "error"
    assert unknown.status_code == 404
    assert unknown.json()["error"]["type"] == "not_found_error"


async def test_rate_limit(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec(rpm_limit=1))
    async with client(gateway, created.secret) as sdk:
        await sdk.messages.create(model="gpt-a", max_tokens=5, messages=HI)
        with pytest.raises(anthropic.RateLimitError) as refused:
            await sdk.messages.create(model="gpt-a", max_tokens=5, messages=HI)
    assert refused.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


async def test_spend_recorded_and_budget_enforced(gateway: RunningGateway) -> None:
    # A call costs 12 tokens at $0.001; it may cost up to (prompt + 20) * $0.001 to admit.
    created = await gateway.runtime.keys.create(KeySpec(max_budget=Decimal("0.05")))
    async with client(gateway, created.secret) as sdk:
        await sdk.messages.create(model="gpt-a", max_tokens=20, messages=HI)
        async with sdk.messages.stream(model="gpt-a", max_tokens=20, messages=HI) as stream:
            await stream.get_final_message()
        cost, count = await spend(gateway)
        assert count == 2 and cost == Decimal("0.023")
        with pytest.raises(anthropic.RateLimitError) as refused:
            await sdk.messages.create(model="gpt-a", max_tokens=20, messages=HI)
    assert "Budget exceeded" in refused.value.message


async def test_count_tokens(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        counted = await sdk.messages.count_tokens(
            model="gpt-a", system="Be brief.", messages=[{"role": "user", "content": "Hi there"}]
        )
        assert counted.input_tokens > 0
    async with client(gateway, "sk-wrong") as sdk:
        with pytest.raises(anthropic.AuthenticationError):
            await sdk.messages.count_tokens(model="gpt-a", messages=HI)  # type: ignore[arg-type]
