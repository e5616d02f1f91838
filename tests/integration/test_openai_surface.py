"""The OpenAI SDK against the gateway, with a real OpenAI-compatible upstream on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway


def _config(fake: FakeOpenAI, **params: Any) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "gpt-test",
                "deltallm_params": {
                    "model": "openai/upstream-model",
                    "api_base": fake.base_url,
                    "api_key": "sk-upstream-secret",
                    **params,
                },
            },
            {
                "model_name": "embed-test",
                "deltallm_params": {"model": "openai/embed-up", "api_base": fake.base_url},
                "model_info": {"mode": "embedding"},
            },
        ]
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(_config(fake_openai, temperature=0.3)) as gw:
        yield gw


@pytest.fixture
async def client(gateway: RunningGateway) -> AsyncIterator[openai.AsyncOpenAI]:
    async with gateway.client() as sdk:
        yield sdk


async def test_chat_completion_round_trip(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    raw = await client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello there!"
    assert completion.usage is not None and completion.usage.total_tokens == 12
    assert len(raw.headers["x-request-id"]) >= 16
    assert float(raw.headers["x-deltallm-overhead-ms"]) >= 0
    sent = fake_openai.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "upstream-model"
    assert sent.headers["Authorization"] == "Bearer sk-upstream-secret"
    assert sent.body["temperature"] == 0.3  # deployment default applied


async def test_caller_params_override_deployment_defaults(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    await client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}], temperature=1.5
    )
    assert fake_openai.requests[-1].body["temperature"] == 1.5


async def test_request_ids_are_the_gateways_own(client: openai.AsyncOpenAI) -> None:
    """Ids key reservations and spend logs, so a caller cannot choose (or collide) them."""
    ids = set()
    for _ in range(2):
        raw = await client.chat.completions.with_raw_response.create(
            model="gpt-test",
            messages=[{"role": "user", "content": "Hi"}],
            extra_headers={"x-request-id": "my-request-42"},
        )
        ids.add(raw.headers["x-request-id"])
    assert len(ids) == 2 and "my-request-42" not in ids


async def test_unknown_fields_pass_through(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    await client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Hi"}],
        extra_body={"top_k": 5, "repetition_penalty": 1.1},
    )
    body = fake_openai.requests[-1].body
    assert body["top_k"] == 5 and body["repetition_penalty"] == 1.1


async def test_stream_passes_chunks_and_hides_usage_not_asked_for(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    stream = await client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there!"
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)
    # The gateway asked the upstream for usage on its own behalf.
    assert fake_openai.requests[-1].body["stream_options"] == {"include_usage": True}


async def test_stream_with_usage_when_asked(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 2


async def test_stream_usage_is_captured_for_the_gateway(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    router = gateway.runtime.router
    stream = await router.stream(
        "gpt-test",
        __import__("app.providers.base", fromlist=["Operation"]).Operation.CHAT,
        {"model": "gpt-test", "messages": [{"role": "user", "content": "Hi"}]},
        include_usage=False,
    )
    events = [chunk async for chunk in stream]
    assert b"[DONE]" in events[-1]
    assert not any(b'"usage"' in e for e in events)
    assert stream.usage is not None and stream.usage.prompt_tokens == 9


async def test_tool_calls_pass_through(client: openai.AsyncOpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.tool_call = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    completion = await client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {}}}],
    )
    call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert completion.choices[0].finish_reason == "tool_calls"


async def test_completions_embeddings_images_moderations(client: openai.AsyncOpenAI) -> None:
    completion = await client.completions.create(model="gpt-test", prompt="Say hi")
    assert completion.choices[0].text == "Hello there!"
    embedding = await client.embeddings.create(model="embed-test", input=["a", "b"])
    assert len(embedding.data) == 2 and embedding.data[0].embedding == [0.1, 0.2, 0.3]
    image = await client.images.generate(model="gpt-test", prompt="a cat")
    assert image.data and image.data[0].url == "https://img.example/1.png"
    moderation = await client.moderations.create(model="gpt-test", input="text")
    assert moderation.results[0].flagged is True


async def test_audio_speech_and_transcription(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    speech = await client.audio.speech.create(model="gpt-test", voice="alloy", input="Hello")
    assert speech.content == b"ID3fake-mp3-bytes"
    transcript = await client.audio.transcriptions.create(
        model="gpt-test", file=("clip.wav", b"RIFF0000WAVEfmt ", "audio/wav"), language="en"
    )
    assert transcript.text == "transcribed words"
    sent = fake_openai.requests[-1]
    assert sent.body["model"] == "upstream-model"
    assert sent.body["language"] == "en"
    assert sent.body["_file_bytes"] == {"file": 16}


async def test_models_list_and_retrieve(client: openai.AsyncOpenAI) -> None:
    models = [m.id async for m in client.models.list()]
    assert models == ["gpt-test", "embed-test"]
    assert (await client.models.retrieve("gpt-test")).id == "gpt-test"
    with pytest.raises(openai.NotFoundError):
        await client.models.retrieve("nope")


async def test_missing_and_wrong_keys(gateway: RunningGateway) -> None:
    async with gateway.client("sk-wrong") as wrong:
        with pytest.raises(openai.AuthenticationError) as caught:
            await wrong.chat.completions.create(
                model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
            )
    assert caught.value.code == "invalid_api_key"
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{gateway.base_url}/chat/completions", json={})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"


async def test_unknown_model_is_404(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "gpt-test"}, "messages"),
        ({"model": "gpt-test", "messages": []}, "messages"),
        (
            {"model": "gpt-test", "messages": [{"role": "robot", "content": "x"}]},
            "messages[0].role",
        ),
        (
            {"model": "gpt-test", "messages": [{"role": "user", "content": 5}]},
            "messages[0].content",
        ),
        (
            {"model": "gpt-test", "messages": [{"role": "user", "content": "x"}], "temperature": 9},
            "temperature",
        ),
        (
            {"model": "gpt-test", "messages": [{"role": "user", "content": "x"}], "n": "2"},
            "n",
        ),
        (
            {
                "model": "gpt-test",
                "messages": [{"role": "user", "content": "x"}],
                "api_base": "http://evil.example",
            },
            "api_base",
        ),
        (
            {
                "model": "gpt-test",
                "messages": [{"role": "user", "content": "x"}],
                "api_key": "sk-other",
            },
            "api_key",
        ),
    ],
)
async def test_bad_bodies_are_400_before_any_upstream_call(
    gateway: RunningGateway, fake_openai: FakeOpenAI, body: dict[str, Any], param: str
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{gateway.base_url}/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {gateway.master_key}"},
        )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert fake_openai.requests == []


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]"])
async def test_unparseable_bodies_are_400(gateway: RunningGateway, raw: bytes) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{gateway.base_url}/chat/completions",
            content=raw,
            headers={
                "Authorization": f"Bearer {gateway.master_key}",
                "Content-Type": "application/json",
            },
        )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_unknown_route_is_404_in_openai_shape(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{gateway.base_url}/nothing/here", json={})
    assert response.status_code == 404
    assert "Unknown request URL" in response.json()["error"]["message"]


async def test_upstream_bad_request_keeps_its_message(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail_next(400, "Invalid 'messages[0].name': too long", code="invalid_value")
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
        )
    assert "too long" in caught.value.message
    assert len(fake_openai.requests) == 1  # a client error is not retried


async def test_upstream_credentials_failure_is_not_the_callers_401(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail_next(401, "Incorrect API key provided: sk-upstream-secret")
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.status_code == 502


async def test_streaming_is_relayed_chunk_by_chunk(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "one two three four"
    fake_openai.chunk_delay = 0.3
    arrivals: list[float] = []
    loop = asyncio.get_running_loop()
    async with (
        httpx.AsyncClient() as http,
        http.stream(
            "POST",
            f"{gateway.base_url}/chat/completions",
            json={
                "model": "gpt-test",
                "stream": True,
                "messages": [{"role": "user", "content": "Hi"}],
            },
            headers={"Authorization": f"Bearer {gateway.master_key}"},
        ) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                arrivals.append(loop.time())
    # Chunks arrive spread over the upstream's pacing, not all at once at the end.
    assert arrivals[-1] - arrivals[0] >= 0.6


async def test_client_disconnect_cancels_the_upstream_stream(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = " ".join(["word"] * 50)
    fake_openai.chunk_delay = 0.1
    async with (
        httpx.AsyncClient() as http,
        http.stream(
            "POST",
            f"{gateway.base_url}/chat/completions",
            json={
                "model": "gpt-test",
                "stream": True,
                "messages": [{"role": "user", "content": "Hi"}],
            },
            headers={"Authorization": f"Bearer {gateway.master_key}"},
        ) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                break
    await asyncio.wait_for(fake_openai.stream_cancelled.wait(), timeout=5)
    await asyncio.sleep(0.1)
    assert gateway.runtime.router.deployments[0].in_flight == 0


async def test_azure_style_route_with_the_azure_sdk(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=gateway.root,
        api_key=gateway.master_key,
        api_version="2024-10-21",
        max_retries=0,
    ) as azure:
        completion = await azure.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "Hi"}]
        )
    assert completion.choices[0].message.content == "Hello there!"
    assert fake_openai.requests[-1].body["model"] == "upstream-model"
