"""``/v1/responses`` with the official OpenAI SDK: native on an OpenAI deployment, and
translated to chat for a chat-only OpenAI-compatible deployment and for Anthropic, through
the same admission, budgets and spend log as ``/v1/chat/completions``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from app.keys.spec import KeySpec
from app.spend.models import SpendLog
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
    "strict": True,
}


@pytest.fixture
async def fake_anthropic() -> AsyncIterator[FakeAnthropic]:
    server = await FakeAnthropic(reply="Six it is").start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def gateway(
    fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> AsyncIterator[RunningGateway]:
    base = fake_openai.base_url
    config = {
        "model_list": [
            {
                "model_name": "gpt-native",
                "deltallm_params": {"model": "openai/gpt-n", "api_base": base, **PRICE},
            },
            {
                "model_name": "gpt-chat",
                "deltallm_params": {
                    "model": "openai/gpt-c",
                    "api_base": base,
                    "supports_responses_api": False,
                    **PRICE,
                },
            },
            {
                "model_name": "claude",
                "deltallm_params": {
                    "model": "anthropic/claude-test",
                    "api_base": fake_anthropic.root,
                    "api_key": "sk-ant-upstream",
                },
            },
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        yield gw


def sent(fake: FakeOpenAI) -> tuple[str, dict[str, Any]]:
    request = fake.requests[-1]
    assert isinstance(request.body, dict)
    return request.path, request.body


async def spend(gw: RunningGateway) -> tuple[Decimal, int]:
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    query = select(func.coalesce(func.sum(SpendLog.cost), 0), func.count(col(SpendLog.id)))
    query = query.where(SpendLog.status == "ok", SpendLog.call_type == "responses")
    async with gw.runtime.sessions() as session:
        total, count = (await session.exec(query)).one()
    return Decimal(total), int(count)


async def test_string_input_translated_to_chat(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as sdk:
        response = await sdk.responses.create(
            model="gpt-chat", input="Hi", max_output_tokens=50, metadata={"team": "a"}
        )
    assert response.output_text == "Hello there!"
    assert response.id.startswith("resp_") and response.status == "completed"
    assert response.metadata == {"team": "a"} and response.max_output_tokens == 50
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (9, 3)
    assert response.usage.input_tokens_details.cached_tokens == 2
    assert response.usage.total_tokens == 12
    path, body = sent(fake_openai)
    assert path.endswith("/chat/completions")
    assert body["messages"] == [{"role": "user", "content": "Hi"}]
    assert body["max_tokens"] == 50 and body["model"] == "gpt-c"


async def test_items_with_instructions(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    items: list[Any] = [
        {"role": "user", "content": [{"type": "input_text", "text": "Count to two"}]},
        {"role": "assistant", "content": "One, two."},
        {"type": "message", "role": "user", "content": "Again"},
    ]
    async with gateway.client() as sdk:
        response = await sdk.responses.create(
            model="gpt-chat", instructions="Be brief.", input=items, temperature=0.2
        )
    assert response.output_text == "Hello there!" and response.instructions == "Be brief."
    _, body = sent(fake_openai)
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Count to two"}]},
        {"role": "assistant", "content": "One, two."},
        {"role": "user", "content": "Again"},
    ]
    assert body["temperature"] == 0.2


async def test_function_tool_round_trip(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    fake_openai.tool_call = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    async with gateway.client() as sdk:
        first = await sdk.responses.create(
            model="gpt-chat",
            input="Weather in Paris?",
            tools=[WEATHER],
        )
        call = first.output[0]
        assert call.type == "function_call" and call.id.startswith("fc_")
        assert (call.name, call.arguments, call.call_id) == (
            "get_weather",
            '{"city": "Paris"}',
            "call_1",
        )
        _, body = sent(fake_openai)
        assert body["tools"] == [
            {
                "type": "function",
                "function": {k: v for k, v in WEATHER.items() if k != "type"},
            }
        ]
        fake_openai.tool_call = None
        second = await sdk.responses.create(
            model="gpt-chat",
            tools=[WEATHER],
            input=[
                {"role": "user", "content": "Weather in Paris?"},
                *[item.model_dump() for item in first.output],
                {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"},
            ],
        )
    assert second.output_text == "Hello there!"
    _, body = sent(fake_openai)
    assistant, tool = body["messages"][1], body["messages"][2]
    assert assistant["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    assert tool == {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"}


async def test_json_schema_format(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    fmt = {"type": "json_schema", "name": "number", "schema": schema, "strict": True}
    async with gateway.client() as sdk:
        response = await sdk.responses.create(
            model="gpt-chat",
            input="A number",
            text={"format": fmt},
        )
    assert response.text is not None and response.text.format is not None
    assert response.text.format.type == "json_schema"
    _, body = sent(fake_openai)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "number", "schema": schema, "strict": True},
    }


async def collect(gw: RunningGateway, **kw: Any) -> list[Any]:
    async with gw.client() as sdk:
        stream = await sdk.responses.create(stream=True, **kw)
        return [event async for event in stream]


async def test_stream_text_events(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    events = await collect(gateway, model="gpt-chat", input="Hi")
    kinds = [event.type for event in events]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "Hello there!" == events[6].text
    final = events[-1].response
    assert final.output_text == "Hello there!" and final.status == "completed"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (9, 2)
    _, body = sent(fake_openai)
    assert body["stream_options"] == {"include_usage": True}


async def test_stream_function_call(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    arguments = '{"city": "Paris", "unit": "celsius"}'
    fake_openai.tool_call = {"name": "get_weather", "arguments": arguments}
    events = await collect(gateway, model="gpt-chat", input="Weather?", tools=[WEATHER])
    kinds = [event.type for event in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-4:] == [
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    pieces = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert len(pieces) > 1 and "".join(pieces) == arguments
    done = events[-3]
    assert done.arguments == arguments and done.item_id == events[2].item.id
    item = events[-1].response.output[0]
    assert (item.type, item.name, item.arguments, item.call_id) == (
        "function_call",
        "get_weather",
        arguments,
        "call_1",
    )


async def test_native_passthrough(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    request = {
        "model": "gpt-native",
        "input": "Hi",
        "tools": [{"type": "web_search"}],
        "reasoning": {"effort": "low"},
        "include": ["reasoning.encrypted_content"],
    }
    headers = {"Authorization": f"Bearer {gateway.master_key}"}
    async with httpx.AsyncClient(timeout=30) as http:
        through = await http.post(f"{gateway.base_url}/responses", json=request, headers=headers)
        _, body = sent(fake_openai)
        assert body == {**request, "model": "gpt-n"}
        direct = await http.post(f"{fake_openai.base_url}/responses", json=body)
        assert through.status_code == 200 and through.content == direct.content
        streamed = {**request, "stream": True}
        through = await http.post(f"{gateway.base_url}/responses", json=streamed, headers=headers)
        direct = await http.post(f"{fake_openai.base_url}/responses", json=sent(fake_openai)[1])
    assert through.content == direct.content
    assert b"event: response.completed" in through.content
    async with gateway.client() as sdk:
        response = await sdk.responses.create(model="gpt-native", input="Hi")
    assert response.output_text == "Hello there!" and response.id == "resp_fake"
    # Usage from the body, and from the stream's response.completed: 11 in + 4 out.
    assert await spend(gateway) == (Decimal("0.045"), 3)


async def test_anthropic_translated(gateway: RunningGateway, fake_anthropic: FakeAnthropic) -> None:
    async with gateway.client() as sdk:
        response = await sdk.responses.create(
            model="claude", instructions="Be brief.", input="Hi", max_output_tokens=64
        )
        assert response.output_text == "Six it is"
        body = fake_anthropic.requests[-1].body
        assert body["system"] == "Be brief." and body["max_tokens"] == 64
        events = await collect(gateway, model="claude", input="Hi", max_output_tokens=64)
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "Six it is"
    assert [event.sequence_number for event in events] == list(range(len(events)))


async def test_spend_recorded_and_budget_enforced(gateway: RunningGateway) -> None:
    # A call costs 12 (streamed: 11) tokens at $0.001; admitting one reserves (prompt + 30).
    created = await gateway.runtime.keys.create(KeySpec(max_budget=Decimal("0.05")))
    async with gateway.client(created.secret) as sdk:
        await sdk.responses.create(model="gpt-chat", input="Hi", max_output_tokens=30)
        stream = await sdk.responses.create(
            model="gpt-chat", input="Hi", max_output_tokens=30, stream=True
        )
        assert [e async for e in stream][-1].type == "response.completed"
        assert await spend(gateway) == (Decimal("0.023"), 2)
        with pytest.raises(openai.RateLimitError) as refused:
            await sdk.responses.create(model="gpt-chat", input="Hi", max_output_tokens=30)
    assert "Budget exceeded" in refused.value.message


async def test_built_in_tool_refused_or_dropped(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as sdk:
        with pytest.raises(openai.BadRequestError) as refused:
            await sdk.responses.create(
                model="gpt-chat", input="News?", tools=[{"type": "web_search"}]
            )
        assert refused.value.status_code == 400
        error = refused.value.body
        assert isinstance(error, dict) and error["param"] == "tools[0]"
        assert "web_search" in error["message"] and "drop_params" in error["message"]
        assert not fake_openai.requests
        response = await sdk.responses.create(
            model="gpt-chat",
            input="News?",
            tools=[{"type": "web_search"}],
            extra_body={"drop_params": True},
        )
    assert response.output_text == "Hello there!"
    _, body = sent(fake_openai)
    assert "tools" not in body and "drop_params" not in body


async def test_stored_responses_off(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    async with gateway.client() as sdk:
        response = await sdk.responses.create(model="gpt-chat", input="Hi", store=True)
        assert response.store is False
        with pytest.raises(openai.BadRequestError) as refused:
            await sdk.responses.create(
                model="gpt-chat", input="And?", previous_response_id=response.id
            )
        assert "responses_store" in refused.value.message
        with pytest.raises(openai.NotFoundError) as missing:
            await sdk.responses.retrieve(response.id)
        assert "not enabled" in missing.value.message
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.delete(response.id)
    assert len(fake_openai.requests) == 1


async def test_bad_input_is_a_400(gateway: RunningGateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.master_key}"}
    async with httpx.AsyncClient(timeout=30) as http:
        for body in ({"model": "gpt-chat"}, {"model": "gpt-chat", "input": 3}, []):
            answer = await http.post(
                f"{gateway.base_url}/responses", content=json.dumps(body), headers=headers
            )
            assert answer.status_code == 400
            assert answer.json()["error"]["type"] == "invalid_request_error"
