"""One conformance suite over every provider adapter, through the gateway, with the SDK.

Each adapter sits behind a real fake of its provider on loopback; the OpenAI SDK must
see the same behaviour whichever provider answers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from tests.support.fake_anthropic import FakeAnthropic
from tests.support.fake_bedrock import KEY_ID, REGION, SECRET, Answer, FakeBedrock
from tests.support.fake_gemini import FakeGemini
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

WEATHER = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
HI = [{"role": "user", "content": "Hi"}]
REPLY = "Hello there!"


@dataclass
class Upstream:
    """A provider fake plus how the gateway addresses it."""

    kind: str
    fake: Any

    def entry(self) -> dict[str, Any]:
        if self.kind == "anthropic":
            params = {"model": "anthropic/claude-test", "api_base": self.fake.root}
        elif self.kind == "azure":
            params = {
                "model": "azure/my-deployment",
                "api_base": self.fake.root,
                "api_version": "2024-10-21",
            }
        elif self.kind == "gemini":
            params = {"model": "gemini/gemini-2.0-flash", "api_base": self.fake.root}
        elif self.kind == "bedrock":
            return {
                "model_name": "m",
                "deltallm_params": {
                    "model": "bedrock/amazon.nova-lite-v1:0",
                    "aws_access_key_id": KEY_ID,
                    "aws_secret_access_key": SECRET,
                    "aws_region_name": REGION,
                    "aws_bedrock_runtime_endpoint": self.fake.root,
                },
            }
        elif self.kind == "groq":
            # A named OpenAI-compatible provider; api_base overrides its public endpoint.
            params = {"model": "groq/llama-3.1-8b-instant", "api_base": self.fake.base_url}
        else:
            params = {"model": "openai/upstream-model", "api_base": self.fake.base_url}
        return {"model_name": "m", "deltallm_params": {**params, "api_key": "sk-upstream"}}

    def set_tool_call(self, name: str, arguments: dict[str, Any]) -> None:
        if self.kind == "anthropic":
            self.fake.reply = ""
            self.fake.tool_call = {"name": name, "input": arguments}
        elif self.kind == "gemini":
            self.fake.function_calls = [{"name": name, "args": arguments}]
        elif self.kind == "bedrock":
            tool = {"toolUseId": "tooluse_1", "name": name, "input": arguments}
            self.fake.answer = Answer(text="", stop_reason="tool_use", tool=tool)
        else:
            self.fake.tool_call = {"name": name, "arguments": json.dumps(arguments)}

    def fail_next(self, status: int, message: str) -> None:
        self.fake.fail_next(status, message)


async def _start(kind: str) -> Any:
    if kind == "anthropic":
        return await FakeAnthropic(reply=REPLY).start()
    if kind == "gemini":
        return await FakeGemini(reply=REPLY).start()
    if kind == "bedrock":
        return await FakeBedrock(reply=REPLY).start()
    return await FakeOpenAI(reply=REPLY).start()


@pytest.fixture(params=["openai", "azure", "anthropic", "gemini", "bedrock", "groq"])
async def upstream(request: pytest.FixtureRequest) -> AsyncIterator[Upstream]:
    fake = await _start(request.param)
    try:
        yield Upstream(request.param, fake)
    finally:
        await fake.stop()


@pytest.fixture
async def gateway(upstream: Upstream) -> AsyncIterator[RunningGateway]:
    config = {"model_list": [upstream.entry()], "router_settings": {"num_retries": 0}}
    async with running_gateway(config, env={"GEMINI_API_KEY": "gm-test-key"}) as gw:
        yield gw


@pytest.fixture
async def client(gateway: RunningGateway) -> AsyncIterator[openai.AsyncOpenAI]:
    async with gateway.client() as sdk:
        yield sdk


async def test_text(client: openai.AsyncOpenAI, upstream: Upstream) -> None:
    completion = await client.chat.completions.create(model="m", messages=HI)
    assert completion.choices[0].message.content == "Hello there!"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


async def test_streamed_text_and_usage(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="m", messages=HI, stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there!"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0


async def test_stream_without_usage_request_shows_none(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model="m", messages=HI, stream=True)
    chunks = [c async for c in stream]
    assert chunks and all(c.usage is None and c.choices for c in chunks)


async def test_tool_call(client: openai.AsyncOpenAI, upstream: Upstream) -> None:
    upstream.set_tool_call("get_weather", {"city": "Paris"})
    completion = await client.chat.completions.create(model="m", messages=HI, tools=WEATHER)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]


async def test_streamed_tool_call_arguments(client: openai.AsyncOpenAI, upstream: Upstream) -> None:
    upstream.set_tool_call("get_weather", {"city": "Paris", "unit": "celsius"})
    stream = await client.chat.completions.create(
        model="m", messages=HI, tools=WEATHER, stream=True
    )
    name, arguments, ids = "", "", []
    finish = None
    async for chunk in stream:
        if not chunk.choices:
            continue
        for delta in chunk.choices[0].delta.tool_calls or []:
            assert delta.index == 0
            if delta.id:
                ids.append(delta.id)
            if delta.function and delta.function.name:
                name += delta.function.name
            if delta.function and delta.function.arguments:
                arguments += delta.function.arguments
        finish = chunk.choices[0].finish_reason or finish
    assert len(ids) == 1 and name == "get_weather"
    assert json.loads(arguments) == {"city": "Paris", "unit": "celsius"}
    assert finish == "tool_calls"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, openai.BadRequestError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
async def test_errors_map_to_the_sdk_classes(
    client: openai.AsyncOpenAI, upstream: Upstream, status: int, error: type[Exception]
) -> None:
    upstream.fail_next(status, "upstream says no")
    with pytest.raises(error) as caught:
        await client.chat.completions.create(model="m", messages=HI)
    assert "upstream says no" in str(caught.value)
