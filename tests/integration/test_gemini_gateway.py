"""Gemini deployments through ``/v1/chat/completions`` with the official openai SDK: the
adapter translates to ``generateContent`` on a real Gemini-shaped server on loopback, and
the answer passes the same admission, spend log and fallbacks as any other provider."""

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
from tests.support.fake_gemini import CACHED_TOKENS, CANDIDATE_TOKENS, PROMPT_TOKENS, FakeGemini
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.002"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n fake").decode()


@pytest.fixture
async def gemini() -> AsyncIterator[FakeGemini]:
    server = await FakeGemini().start()
    yield server
    await server.stop()


@pytest.fixture
async def gateway(gemini: FakeGemini, fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [
            {
                "model_name": "gem",
                "litellm_params": {
                    "model": "gemini/gemini-2.0-flash",
                    "api_base": gemini.root,
                    **PRICE,
                },
            },
            {
                "model_name": "backup",
                "litellm_params": {"model": "openai/gpt-b", "api_base": fake_openai.base_url},
            },
        ],
        "router_settings": {"num_retries": 0, "fallbacks": [{"gem": ["backup"]}]},
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config, env={"GEMINI_API_KEY": "gm-test-key"}) as gw:
        yield gw


def sdk(gw: RunningGateway) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{gw.root}/v1", api_key=gw.master_key, max_retries=0)


async def spend_rows(gw: RunningGateway) -> list[SpendLog]:
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    async with gw.runtime.sessions() as session:
        return list((await session.exec(select(SpendLog))).all())


async def test_text_system_and_turns(gateway: RunningGateway, gemini: FakeGemini) -> None:
    async with sdk(gateway) as client:
        answer = await client.chat.completions.create(
            model="gem",
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "How are you?"},
            ],
            temperature=0.2,
            max_tokens=40,
            stop=["END"],
        )
    assert answer.choices[0].message.content == "Hello from Gemini!"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None
    assert answer.usage.prompt_tokens == PROMPT_TOKENS
    assert answer.usage.completion_tokens == CANDIDATE_TOKENS
    assert answer.usage.prompt_tokens_details is not None
    assert answer.usage.prompt_tokens_details.cached_tokens == CACHED_TOKENS
    sent = gemini.requests[-1]
    assert sent.path == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "gm-test-key"
    assert sent.body == {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Hello!"}]},
            {"role": "user", "parts": [{"text": "How are you?"}]},
        ],
        "generationConfig": {"temperature": 0.2, "maxOutputTokens": 40, "stopSequences": ["END"]},
    }
    rows = await spend_rows(gateway)
    assert len(rows) == 1
    row = rows[0]
    assert (row.provider, row.prompt_tokens, row.completion_tokens, row.cached_tokens) == (
        "gemini",
        PROMPT_TOKENS,
        CANDIDATE_TOKENS,
        CACHED_TOKENS,
    )
    assert row.cost > 0


async def test_image_data_url(gateway: RunningGateway, gemini: FakeGemini) -> None:
    async with sdk(gateway) as client:
        await client.chat.completions.create(
            model="gem",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {
                            "type": "image_url",
                            "image_url": {"url": f"data:image/png;base64,{PIXEL}"},
                        },
                    ],
                }
            ],
        )
    assert gemini.requests[-1].body["contents"][0]["parts"] == [
        {"text": "What is this?"},
        {"inlineData": {"mimeType": "image/png", "data": PIXEL}},
    ]


async def test_tools_round_trip(gateway: RunningGateway, gemini: FakeGemini) -> None:
    gemini.function_calls = [{"name": "get_weather", "args": {"city": "Paris"}}]
    gemini.thought_signature = "c2lnbmF0dXJl"
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    async with sdk(gateway) as client:
        first = await client.chat.completions.create(
            model="gem", messages=messages, tools=[WEATHER], tool_choice="required"
        )
        choice = first.choices[0]
        assert choice.finish_reason == "tool_calls"
        calls = choice.message.tool_calls or []
        assert len(calls) == 1 and calls[0].id.startswith("call_")
        assert calls[0].function.name == "get_weather"  # type: ignore[union-attr]
        assert json.loads(calls[0].function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
        sent = gemini.requests[-1].body
        declaration = sent["tools"][0]["functionDeclarations"][0]
        assert declaration["name"] == "get_weather"
        assert "additionalProperties" not in declaration["parameters"]
        assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}

        gemini.function_calls = []
        messages += [
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": calls[0].id, "content": '{"temp_c": 21}'},
        ]
        second = await client.chat.completions.create(
            model="gem", messages=messages, tools=[WEATHER]
        )
    assert second.choices[0].message.content == "Hello from Gemini!"
    assert gemini.requests[-1].body["contents"][1:] == [
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                    "thoughtSignature": "c2lnbmF0dXJl",
                }
            ],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}}],
        },
    ]


async def test_streamed_text_with_usage(gateway: RunningGateway, gemini: FakeGemini) -> None:
    gemini.reply = "one two three"
    async with sdk(gateway) as client:
        stream = await client.chat.completions.create(
            model="gem",
            messages=[{"role": "user", "content": "Count"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    assert gemini.requests[-1].path == "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
    assert gemini.requests[-1].query == {"alt": "sse"}
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and finishes.count("stop") == 1
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == PROMPT_TOKENS
    rows = await spend_rows(gateway)
    assert [(r.prompt_tokens, r.completion_tokens) for r in rows] == [
        (PROMPT_TOKENS, CANDIDATE_TOKENS)
    ]


async def test_streamed_tool_call(gateway: RunningGateway, gemini: FakeGemini) -> None:
    gemini.function_calls = [{"name": "get_weather", "args": {"city": "Oslo"}}]
    async with sdk(gateway) as client:
        stream = await client.chat.completions.create(
            model="gem",
            messages=[{"role": "user", "content": "Weather in Oslo?"}],
            tools=[WEATHER],
            stream=True,
        )
        chunks = [chunk async for chunk in stream]
    deltas = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or []]
    assert len(deltas) == 1
    assert deltas[0].index == 0 and deltas[0].id and deltas[0].function is not None
    assert deltas[0].function.name == "get_weather"
    assert json.loads(deltas[0].function.arguments or "") == {"city": "Oslo"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter")],
)
async def test_finish_reasons(
    gateway: RunningGateway, gemini: FakeGemini, reason: str, expected: str
) -> None:
    gemini.finish_reason = reason
    async with sdk(gateway) as client:
        answer = await client.chat.completions.create(
            model="gem", messages=[{"role": "user", "content": "Hi"}]
        )
    assert answer.choices[0].finish_reason == expected


async def test_invalid_argument_is_a_400(gateway: RunningGateway, gemini: FakeGemini) -> None:
    gemini.fail_next(400, "Invalid JSON payload received.")
    async with sdk(gateway) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="gem", messages=[{"role": "user", "content": "Hi"}]
            )
    assert "Invalid JSON payload received." in caught.value.message
    assert caught.value.code == "INVALID_ARGUMENT"


@pytest.mark.parametrize("status", [429, 500])
async def test_rate_limit_and_server_error_fall_back(
    gateway: RunningGateway, gemini: FakeGemini, fake_openai: FakeOpenAI, status: int
) -> None:
    gemini.fail_next(status, "Resource has been exhausted")
    async with sdk(gateway) as client:
        answer = await client.chat.completions.create(
            model="gem", messages=[{"role": "user", "content": "Hi"}]
        )
    assert answer.choices[0].message.content == fake_openai.reply
    assert len(gemini.requests) == 1 and len(fake_openai.requests) == 1


async def test_remote_image_url_refused_without_fetching(gateway: RunningGateway) -> None:
    async with sdk(gateway) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="gem",
                messages=[
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
                        ],
                    }
                ],
            )
    assert "data URL" in caught.value.message


async def test_embeddings(gateway: RunningGateway, gemini: FakeGemini) -> None:
    async with sdk(gateway) as client:
        answer = await client.embeddings.create(model="gem", input=["a", "b"])
    assert [len(item.embedding) for item in answer.data] == [3, 3]
    sent = gemini.requests[-1]
    assert sent.path == "/v1beta/models/gemini-2.0-flash:batchEmbedContents"
    assert sent.body["requests"][1] == {
        "model": "models/gemini-2.0-flash",
        "content": {"parts": [{"text": "b"}]},
    }


async def test_messages_api_through_gemini(gateway: RunningGateway, gemini: FakeGemini) -> None:
    async with anthropic.AsyncAnthropic(
        base_url=gateway.root, api_key=gateway.master_key, max_retries=0
    ) as client:
        message = await client.messages.create(
            model="gem",
            max_tokens=30,
            system="Be brief.",
            messages=[{"role": "user", "content": "Hi"}],
        )
    assert message.content[0].text == "Hello from Gemini!"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == CANDIDATE_TOKENS
    sent = gemini.requests[-1].body
    assert sent["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent["generationConfig"]["maxOutputTokens"] == 30


async def test_stream_refused_before_its_first_byte_falls_back(
    gateway: RunningGateway, gemini: FakeGemini, fake_openai: FakeOpenAI
) -> None:
    gemini.fail_next(429, "Resource has been exhausted", **{"retry-after": "1"})
    async with sdk(gateway) as client:
        stream = await client.chat.completions.create(
            model="gem", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == fake_openai.reply
    assert gemini.requests[-1].query == {"alt": "sse"}
