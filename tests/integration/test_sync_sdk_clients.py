"""The official SDKs' synchronous clients against the gateway: the Anthropic SDK on
``/v1/messages`` and the OpenAI SDK on ``/v1/responses``, over an OpenAI-shaped deployment
(translated) and an Anthropic-shaped one (native for messages), with limits, budgets and
the spend log the same as for the async clients.

Each sync client runs in a worker thread while the in-process gateway serves on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any, TypeVar

import anthropic
import openai
import pytest
from sqlmodel import select

from app.keys.spec import KeySpec
from app.spend.models import SpendLog
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

T = TypeVar("T")
PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
HI: Any = [{"role": "user", "content": "Hi"}]
WEATHER: Any = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
REPLY = "Hello there!"
# "gpt" is served by an OpenAI-shaped upstream, "claude" by an Anthropic-shaped one.
DEPLOYMENTS = ["gpt", "claude"]


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeOpenAI, FakeAnthropic]]:
    openai_fake = await FakeOpenAI(reply=REPLY).start()
    anthropic_fake = await FakeAnthropic(reply=REPLY).start()
    try:
        yield openai_fake, anthropic_fake
    finally:
        await openai_fake.stop()
        await anthropic_fake.stop()


@pytest.fixture
async def gateway(fakes: tuple[FakeOpenAI, FakeAnthropic]) -> AsyncIterator[RunningGateway]:
    openai_fake, anthropic_fake = fakes
    params = {"api_key": "sk-upstream", **PRICE}
    config = {
        "model_list": [
            {
                "model_name": "gpt",
                "deltallm_params": {
                    "model": "openai/gpt-up",
                    "api_base": openai_fake.base_url,
                    **params,
                },
            },
            {
                "model_name": "claude",
                "deltallm_params": {
                    "model": "anthropic/claude-up",
                    "api_base": anthropic_fake.root,
                    **params,
                },
            },
        ],
        "router_settings": {"num_retries": 0},
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        yield gw


def messages_client(gw: RunningGateway, key: str | None = None) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.root, api_key=key or gw.master_key, max_retries=0)


def responses_client(gw: RunningGateway, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.base_url, api_key=key or gw.master_key, max_retries=0)


async def in_thread(work: Callable[[], T]) -> T:
    return await asyncio.to_thread(work)


async def spend_rows(gw: RunningGateway, call_type: str) -> list[SpendLog]:
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    query = select(SpendLog).where(SpendLog.call_type == call_type, SpendLog.status == "ok")
    async with gw.runtime.sessions() as session:
        return list((await session.exec(query)).all())


@pytest.mark.parametrize("model", DEPLOYMENTS)
async def test_message_and_stream(gateway: RunningGateway, model: str) -> None:
    def work() -> tuple[anthropic.types.Message, str, anthropic.types.Message]:
        with messages_client(gateway) as sdk:
            message = sdk.messages.create(model=model, max_tokens=50, messages=HI)
            with sdk.messages.stream(model=model, max_tokens=50, messages=HI) as stream:
                text = "".join(stream.text_stream)
                final = stream.get_final_message()
        return message, text, final

    message, text, final = await in_thread(work)
    assert message.content[0].type == "text" and message.content[0].text == REPLY
    assert message.stop_reason == "end_turn" and message.usage.input_tokens > 0
    assert text == REPLY
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens > 0 and final.usage.output_tokens > 0
    rows = await spend_rows(gateway, "messages")
    assert len(rows) == 2 and {row.model_group for row in rows} == {model}
    assert all(row.cost > 0 for row in rows)


@pytest.mark.parametrize("model", DEPLOYMENTS)
async def test_tool_use_then_tool_result(
    gateway: RunningGateway, fakes: tuple[FakeOpenAI, FakeAnthropic], model: str
) -> None:
    openai_fake, anthropic_fake = fakes
    if model == "gpt":
        openai_fake.tool_call = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    else:
        anthropic_fake.reply = ""
        anthropic_fake.tool_call = {"name": "get_weather", "input": {"city": "Paris"}}

    def ask() -> anthropic.types.Message:
        with messages_client(gateway) as sdk:
            return sdk.messages.create(model=model, max_tokens=50, messages=HI, tools=[WEATHER])

    first = await in_thread(ask)
    assert first.stop_reason == "tool_use"
    use = next(block for block in first.content if block.type == "tool_use")
    assert use.name == "get_weather" and use.input == {"city": "Paris"}

    openai_fake.tool_call = None
    anthropic_fake.tool_call = None
    anthropic_fake.reply = REPLY
    turns: Any = [
        *HI,
        {"role": "assistant", "content": [block.model_dump() for block in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Sunny"}],
        },
    ]

    def answer() -> anthropic.types.Message:
        with messages_client(gateway) as sdk:
            return sdk.messages.create(model=model, max_tokens=50, messages=turns, tools=[WEATHER])

    second = await in_thread(answer)
    assert second.content[0].type == "text" and second.content[0].text == REPLY
    if model == "gpt":
        sent = openai_fake.requests[-1].body["messages"]
        assert sent[-1] == {"role": "tool", "tool_call_id": use.id, "content": "Sunny"}
    else:
        sent = anthropic_fake.requests[-1].body["messages"]
        assert sent[-1]["content"][0]["tool_use_id"] == use.id
        assert sent[-1]["content"][0]["type"] == "tool_result"


@pytest.mark.parametrize("model", DEPLOYMENTS)
async def test_errors(gateway: RunningGateway, model: str) -> None:
    limited = await gateway.runtime.keys.create(KeySpec(rpm_limit=1))

    def work() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with messages_client(gateway, "sk-not-a-key") as sdk:
            try:
                sdk.messages.create(model=model, max_tokens=5, messages=HI)
            except anthropic.AuthenticationError as error:
                seen["auth"] = error
        with messages_client(gateway) as sdk:
            try:
                sdk.messages.create(model=model, max_tokens=0, messages=HI)
            except anthropic.BadRequestError as error:
                seen["bad"] = error
        with messages_client(gateway, limited.secret) as sdk:
            sdk.messages.create(model=model, max_tokens=5, messages=HI)
            try:
                sdk.messages.create(model=model, max_tokens=5, messages=HI)
            except anthropic.RateLimitError as error:
                seen["rate"] = error
        return seen

    seen = await in_thread(work)
    assert seen["auth"].body["error"]["type"] == "authentication_error"
    assert seen["bad"].body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in seen["bad"].message
    assert seen["rate"].body["error"]["type"] == "rate_limit_error"


def spend_until_refused(call: Callable[[], object], refusal: type[Exception]) -> tuple[int, str]:
    """Call until the budget refuses; the number of calls admitted and the refusal."""
    for admitted in range(20):
        try:
            call()
        except refusal as error:
            return admitted, str(error)
    raise AssertionError("the budget never refused a call")


@pytest.mark.parametrize("model", DEPLOYMENTS)
async def test_messages_budget_refuses_once_spent(gateway: RunningGateway, model: str) -> None:
    created = await gateway.runtime.keys.create(KeySpec(max_budget=Decimal("0.1")))

    def work() -> tuple[int, str]:
        with messages_client(gateway, created.secret) as sdk:
            return spend_until_refused(
                lambda: sdk.messages.create(model=model, max_tokens=20, messages=HI),
                anthropic.RateLimitError,
            )

    admitted, refusal = await in_thread(work)
    assert admitted >= 1 and "Budget exceeded" in refusal
    rows = await spend_rows(gateway, "messages")
    assert len(rows) == admitted
    assert Decimal(0) < sum((row.cost for row in rows), Decimal(0)) <= Decimal("0.1")


async def test_responses_sync_on_anthropic_deployment(
    gateway: RunningGateway, fakes: tuple[FakeOpenAI, FakeAnthropic]
) -> None:
    _, anthropic_fake = fakes
    created = await gateway.runtime.keys.create(KeySpec(max_budget=Decimal("0.1")))

    def work() -> tuple[str, list[str], tuple[int, str]]:
        with responses_client(gateway, created.secret) as sdk:
            response = sdk.responses.create(
                model="claude", instructions="Be brief.", input="Hi", max_output_tokens=20
            )
            with sdk.responses.stream(model="claude", input="Hi", max_output_tokens=20) as stream:
                kinds = [event.type for event in stream]
            refused = spend_until_refused(
                lambda: sdk.responses.create(model="claude", input="Hi", max_output_tokens=20),
                openai.RateLimitError,
            )
        return response.output_text, kinds, refused

    text, kinds, (admitted, refusal) = await in_thread(work)
    assert text == REPLY
    assert anthropic_fake.requests[0].body["system"] == "Be brief."
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "Budget exceeded" in refusal
    rows = await spend_rows(gateway, "responses")
    assert len(rows) == admitted + 2 and {row.model_group for row in rows} == {"claude"}
    assert all(row.cost > 0 for row in rows)
