"""``/v1/responses`` at its edges: deployment defaults, ``drop_params`` for every call,
and streams that fail midway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

DEFAULTS = {"max_tokens": 77, "frequency_penalty": 0.5}


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    base = fake_openai.base_url
    config = {
        "model_list": [
            {
                "model_name": "gpt-native",
                "deltallm_params": {"model": "openai/gpt-n", "api_base": base, **DEFAULTS},
            },
            {
                "model_name": "gpt-chat",
                "deltallm_params": {
                    "model": "openai/gpt-c",
                    "api_base": base,
                    "supports_responses_api": False,
                    **DEFAULTS,
                },
            },
            {"model_name": "echo", "deltallm_params": {"model": "demo/echo"}},
        ],
        "litellm_settings": {"drop_params": True, "num_retries": 0},
    }
    async with running_gateway(config) as gw:
        yield gw


def last_body(fake: FakeOpenAI) -> dict[str, Any]:
    body = fake.requests[-1].body
    assert isinstance(body, dict)
    return body


async def test_deployment_defaults(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    async with gateway.client() as sdk:
        await sdk.responses.create(model="gpt-chat", input="Hi")
        assert last_body(fake_openai)["max_tokens"] == 77
        assert last_body(fake_openai)["frequency_penalty"] == 0.5
        await sdk.responses.create(model="gpt-chat", input="Hi", max_output_tokens=5)
        assert last_body(fake_openai)["max_tokens"] == 5
        # Natively, chat-only defaults stay off; max_tokens becomes max_output_tokens.
        await sdk.responses.create(model="gpt-native", input="Hi")
        body = last_body(fake_openai)
        assert body["max_output_tokens"] == 77
        assert not {"max_tokens", "frequency_penalty"} & set(body)


async def test_drop_params_from_config(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    async with gateway.client() as sdk:
        response = await sdk.responses.create(
            model="gpt-chat", input="News?", tools=[{"type": "web_search"}], background=False
        )
        assert response.output_text == "Hello there!"
        body = last_body(fake_openai)
        assert not {"tools", "background", "drop_params"} & set(body)
        # Asking per request to keep them refuses again.
        with pytest.raises(openai.BadRequestError) as refused:
            await sdk.responses.create(
                model="gpt-chat",
                input="News?",
                tools=[{"type": "web_search"}],
                extra_body={"drop_params": False},
            )
    assert "tools[0]" in refused.value.message


async def test_stream_failing_midway_ends_with_an_error_event(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "one two three four"
    fake_openai.break_stream_after = 2
    async with gateway.client() as sdk:
        stream = await sdk.responses.create(model="gpt-chat", input="Count", stream=True)
        events = [event async for event in stream]
    assert events[0].type == "response.created"
    assert [event.type for event in events[-2:]] == ["response.failed", "error"]
    failed = events[-2].response
    assert failed.status == "failed" and failed.error.code == "server_error"
    assert [event.sequence_number for event in events] == list(range(len(events)))


async def test_upstream_error_before_the_stream(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail_next(400, "bad things")
    async with gateway.client() as sdk:
        with pytest.raises(openai.BadRequestError):
            await sdk.responses.create(model="gpt-chat", input="Hi", stream=True)
        fake_openai.fail_next(400, "bad things")
        with pytest.raises(openai.BadRequestError):
            await sdk.responses.create(model="gpt-native", input="Hi")


async def test_demo_provider_translated(gateway: RunningGateway) -> None:
    async with gateway.client() as sdk:
        response = await sdk.responses.create(model="echo", input="Hello demo")
        assert response.status == "completed" and response.output_text
        stream = await sdk.responses.create(model="echo", input="Hello demo", stream=True)
        events = [event async for event in stream]
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "".join(
        e.delta for e in events if e.type == "response.output_text.delta"
    )
