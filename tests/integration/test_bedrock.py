"""Bedrock deployments seen through the OpenAI SDK, against a loopback Bedrock that checks
every request's SigV4 signature and answers Converse JSON and ConverseStream frames."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest
from sqlmodel import select

from app.spend.models import SpendLog
from tests.support.fake_bedrock import KEY_ID, REGION, SECRET, FakeBedrock
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

MODEL_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0"
HI = [{"role": "user", "content": "Hi"}]
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n0000").decode()


def bedrock(name: str, fake: FakeBedrock, model: str = MODEL_ID, **params: Any) -> dict[str, Any]:
    values = {
        "model": f"bedrock/{model}",
        "aws_access_key_id": KEY_ID,
        "aws_secret_access_key": SECRET,
        "aws_region_name": REGION,
        "aws_bedrock_runtime_endpoint": fake.root,
        "input_cost_per_token": "0.000003",
        "output_cost_per_token": "0.000015",
        **params,
    }
    return {"model_name": name, "deltallm_params": values, "model_info": {"id": name}}


@pytest.fixture
async def fake() -> AsyncIterator[FakeBedrock]:
    server = await FakeBedrock().start()
    yield server
    await server.stop()


@pytest.fixture
async def backup() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI(reply="from backup", name="backup").start()
    yield server
    await server.stop()


@pytest.fixture
async def gateway(fake: FakeBedrock, backup: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    openai_backup = {
        "model_name": "backup",
        "deltallm_params": {"model": "openai/backup", "api_base": backup.base_url},
    }
    config = {
        "model_list": [
            bedrock("claude", fake),
            bedrock("profile", fake, f"converse/us.{MODEL_ID}"),
            bedrock("primary", fake),
            bedrock("wrong-secret", fake, aws_secret_access_key="not-the-secret-xyz"),
            openai_backup,
        ],
        "router_settings": {"num_retries": 0, "fallbacks": [{"primary": ["backup"]}]},
    }
    async with running_gateway(config) as gw:
        yield gw


async def test_text_with_system_prompt_and_history(
    gateway: RunningGateway, fake: FakeBedrock
) -> None:
    messages: Any = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "How are you?"},
    ]
    async with gateway.client() as client:
        reply = await client.chat.completions.create(
            model="claude", messages=messages, max_tokens=50, temperature=0.2, stop=["END"]
        )
    assert reply.choices[0].message.content == "Hello from Bedrock!"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (11, 7)
    sent = fake.requests[-1]
    assert sent.path == "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
    assert sent.body["system"] == [{"text": "Be brief."}]
    assert [m["role"] for m in sent.body["messages"]] == ["user", "assistant", "user"]
    assert sent.body["inferenceConfig"] == {
        "maxTokens": 50,
        "temperature": 0.2,
        "stopSequences": ["END"],
    }
    assert "aws_secret_access_key" not in json.dumps(sent.body)


async def test_inference_profile_and_image_data_url(
    gateway: RunningGateway, fake: FakeBedrock
) -> None:
    content: Any = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}},
    ]
    async with gateway.client() as client:
        await client.chat.completions.create(
            model="profile", messages=[{"role": "user", "content": content}]
        )
    sent = fake.requests[-1]
    assert sent.path == f"/model/us.{MODEL_ID.replace(':', '%3A')}/converse"
    image = sent.body["messages"][0]["content"][1]["image"]
    assert image == {"format": "png", "source": {"bytes": PIXEL}}


async def test_tool_call_round_trip(gateway: RunningGateway, fake: FakeBedrock) -> None:
    fake.answer.text = ""
    fake.answer.stop_reason = "tool_use"
    fake.answer.tool = {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Oslo"}}
    async with gateway.client() as client:
        reply = await client.chat.completions.create(
            model="claude", messages=HI, tools=[WEATHER_TOOL], tool_choice="required"
        )
        choice = reply.choices[0]
        assert choice.finish_reason == "tool_calls"
        calls = choice.message.tool_calls
        assert calls is not None and calls[0].id == "tooluse_1"
        assert json.loads(calls[0].function.arguments) == {"city": "Oslo"}  # type: ignore[union-attr]
        sent = fake.requests[-1].body["toolConfig"]
        assert sent["toolChoice"] == {"any": {}}
        assert sent["tools"][0]["toolSpec"]["inputSchema"]["json"]["type"] == "object"

        fake.answer.text, fake.answer.stop_reason, fake.answer.tool = "Sunny.", "end_turn", None
        history: Any = [
            *HI,
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": "tooluse_1", "content": "12C, sunny"},
            {"role": "tool", "tool_call_id": "tooluse_2", "content": "n/a"},
        ]
        reply = await client.chat.completions.create(
            model="claude", messages=history, tools=[WEATHER_TOOL]
        )
    assert reply.choices[0].message.content == "Sunny."
    messages = fake.requests[-1].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [
        {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Oslo"}}}
    ]
    results = [block["toolResult"] for block in messages[2]["content"]]
    assert [r["toolUseId"] for r in results] == ["tooluse_1", "tooluse_2"]
    assert results[0]["content"] == [{"text": "12C, sunny"}]


async def test_streamed_text_with_usage_reaches_the_spend_log(
    gateway: RunningGateway, fake: FakeBedrock
) -> None:
    async with gateway.client() as client:
        stream = await client.chat.completions.create(
            model="claude", messages=HI, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from Bedrock!"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7
    assert fake.requests[-1].path.endswith("/converse-stream")
    await gateway.runtime.spend_queue.flush()
    async with gateway.runtime.sessions() as session:
        rows = list((await session.exec(select(SpendLog))).all())
    row = rows[-1]
    assert (row.provider, row.prompt_tokens, row.completion_tokens) == ("bedrock", 11, 7)
    assert row.cost > 0


async def test_streamed_tool_call_arguments_arrive_whole(
    gateway: RunningGateway, fake: FakeBedrock
) -> None:
    fake.answer.text = ""
    fake.answer.stop_reason = "tool_use"
    arguments = {"city": "Reykjavik", "unit": "celsius"}
    fake.answer.tool = {"toolUseId": "tooluse_9", "name": "get_weather", "input": arguments}
    async with gateway.client() as client:
        stream = await client.chat.completions.create(
            model="claude", messages=HI, tools=[WEATHER_TOOL], stream=True
        )
        chunks = [chunk async for chunk in stream]
    deltas = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or []]
    assert (deltas[0].id, deltas[0].function.name) == ("tooluse_9", "get_weather")  # type: ignore[union-attr]
    joined = "".join(d.function.arguments or "" for d in deltas)  # type: ignore[union-attr]
    assert json.loads(joined) == arguments
    assert len(deltas) > 2  # the arguments came in fragments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("max_tokens", "length"),
        ("stop_sequence", "stop"),
        ("guardrail_intervened", "content_filter"),
    ],
)
async def test_stop_reasons(
    gateway: RunningGateway, fake: FakeBedrock, stop_reason: str, finish: str
) -> None:
    fake.answer.stop_reason = stop_reason
    async with gateway.client() as client:
        reply = await client.chat.completions.create(model="claude", messages=HI)
    assert reply.choices[0].finish_reason == finish


async def test_throttling_is_a_429_and_goes_to_the_fallback(
    gateway: RunningGateway, fake: FakeBedrock, backup: FakeOpenAI
) -> None:
    fake.fail_next(429, "Too many requests, please wait.", error_type="ThrottlingException")
    async with gateway.client() as client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.with_options(max_retries=0).chat.completions.create(
                model="claude", messages=HI
            )
        assert "Too many requests" in caught.value.message
        fake.fail_next(429, "Too many requests, please wait.", error_type="ThrottlingException")
        reply = await client.chat.completions.create(model="primary", messages=HI)
    assert reply.choices[0].message.content == "from backup"
    assert len(backup.requests) == 1


async def test_validation_error_is_a_400(gateway: RunningGateway, fake: FakeBedrock) -> None:
    fake.fail_next(400, "This model doesn't support tool use.", error_type="ValidationException")
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(model="claude", messages=HI)
    assert "doesn't support tool use" in caught.value.message


async def test_a_wrong_secret_is_an_upstream_auth_error_that_leaks_nothing(
    gateway: RunningGateway, fake: FakeBedrock
) -> None:
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.with_options(max_retries=0).chat.completions.create(
                model="wrong-secret", messages=HI
            )
    assert caught.value.status_code == 502
    assert caught.value.code == "upstream_auth_error"
    assert "signature" in caught.value.message
    assert "not-the-secret" not in caught.value.message
    assert fake.requests == []  # the fake refused it before recording


async def test_a_stream_exception_ends_the_stream_with_an_error(
    gateway: RunningGateway, fake: FakeBedrock
) -> None:
    fake.stream_exception = ("modelStreamErrorException", "the model broke")
    async with gateway.client() as client:
        stream = await client.chat.completions.create(model="claude", messages=HI, stream=True)
        with pytest.raises(openai.APIError):
            async for _ in stream:
                pass


async def test_credentials_from_the_aws_environment(
    fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    entry = {
        "model_name": "env",
        "deltallm_params": {
            "model": f"bedrock/{MODEL_ID}",
            "aws_bedrock_runtime_endpoint": fake.root,
        },
    }
    async with running_gateway({"model_list": [entry]}) as gw, gw.client() as client:
        reply = await client.chat.completions.create(model="env", messages=HI)
    assert reply.choices[0].message.content == "Hello from Bedrock!"
    assert (
        fake.requests[-1]
        .headers["Authorization"]
        .startswith(f"AWS4-HMAC-SHA256 Credential={KEY_ID}/")
    )


async def test_a_session_token_is_sent_and_signed(fake: FakeBedrock) -> None:
    fake.credentials = fake.credentials.__class__(KEY_ID, SECRET, "session-token-1")
    config = {
        "model_list": [
            bedrock("temporary", fake, f"invoke/{MODEL_ID}", aws_session_token="session-token-1")
        ]
    }
    async with running_gateway(config) as gw, gw.client() as client:
        stream = await client.chat.completions.create(model="temporary", messages=HI, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "Hello from Bedrock!"
    assert fake.requests[-1].headers["X-Amz-Security-Token"] == "session-token-1"
    assert "x-amz-security-token" in fake.requests[-1].headers["Authorization"]


async def test_the_anthropic_messages_api_reaches_bedrock(
    gateway: RunningGateway, fake: FakeBedrock
) -> None:
    async with anthropic.AsyncAnthropic(
        base_url=gateway.root, api_key=gateway.master_key, max_retries=0
    ) as client:
        message = await client.messages.create(
            model="claude",
            max_tokens=64,
            system="Be brief.",
            messages=[{"role": "user", "content": "Hi"}],
        )
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello from Bedrock!"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (11, 7)
    assert fake.requests[-1].body["system"] == [{"text": "Be brief."}]


async def test_a_bedrock_api_key_is_sent_as_bearer_token(fake: FakeBedrock) -> None:
    fake.api_key = "bedrock-api-key-1"
    entry = {
        "model_name": "keyed",
        "deltallm_params": {
            "model": f"bedrock/{MODEL_ID}",
            "api_key": "bedrock-api-key-1",
            "aws_region_name": REGION,
            "aws_bedrock_runtime_endpoint": fake.root,
        },
    }
    async with running_gateway({"model_list": [entry]}) as gw, gw.client() as client:
        reply = await client.chat.completions.create(model="keyed", messages=HI)
    assert reply.choices[0].message.content == "Hello from Bedrock!"
    assert fake.requests[-1].headers["Authorization"] == "Bearer bedrock-api-key-1"
