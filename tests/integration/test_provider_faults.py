"""Provider faults seen through the OpenAI SDK: a 200 whose body is cut or not JSON, a
connection dropped without an answer. Each is retried and sent to fallbacks like a 5xx, and
otherwise ends as a clean error in OpenAI's shape, never as a body the SDK cannot parse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

HI = [{"role": "user", "content": "Hi"}]
CUT = b'{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"ro'


def deployment(name: str, fake: FakeOpenAI, mode: str = "chat") -> dict[str, Any]:
    return {
        "model_name": name,
        "deltallm_params": {"model": f"openai/{fake.name}", "api_base": fake.base_url},
        "model_info": {"id": f"{name}-{fake.name}", "mode": mode},
    }


@pytest.fixture
async def upstreams() -> AsyncIterator[tuple[FakeOpenAI, FakeOpenAI]]:
    primary = await FakeOpenAI(reply="from primary", name="primary").start()
    backup = await FakeOpenAI(reply="from backup", name="backup").start()
    try:
        yield primary, backup
    finally:
        await primary.stop()
        await backup.stop()


@pytest.fixture
async def gateway(upstreams: tuple[FakeOpenAI, FakeOpenAI]) -> AsyncIterator[RunningGateway]:
    primary, backup = upstreams
    config = {
        "model_list": [
            deployment("alone", primary),
            deployment("vectors", primary, mode="embedding"),
            deployment("primary", primary),
            deployment("backup", backup),
        ],
        "router_settings": {"num_retries": 0, "fallbacks": [{"primary": ["backup"]}]},
    }
    async with running_gateway(config) as gw:
        yield gw


async def test_a_cut_json_answer_is_a_502_not_a_body_the_sdk_chokes_on(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    primary.answer_next_raw(CUT, "application/json")
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="alone", messages=HI)
        assert caught.value.status_code == 502
        assert caught.value.code == "upstream_error"
        assert "malformed JSON" in caught.value.message
        assert "chatcmpl-1" not in caught.value.message  # nothing of the broken body
        # The next call is served: the fault was that one answer.
        reply = await client.chat.completions.create(model="alone", messages=HI)
    assert reply.choices[0].message.content == "from primary"


async def test_a_cut_json_answer_goes_to_the_fallback(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, backup = upstreams
    primary.answer_next_raw(CUT, "application/json")
    async with gateway.client() as client:
        reply = await client.chat.completions.create(model="primary", messages=HI)
    assert reply.choices[0].message.content == "from backup"
    assert len(backup.requests) == 1


async def test_an_html_page_with_200_is_a_502_and_goes_to_the_fallback(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    page = b"<html><body>Service temporarily unavailable</body></html>"
    primary.answer_next_raw(page, "text/html")
    primary.answer_next_raw(page, "text/html")
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="alone", messages=HI)
        assert caught.value.status_code == 502
        assert "text/html" in caught.value.message
        assert "Service temporarily" not in caught.value.message
        reply = await client.chat.completions.create(model="primary", messages=HI)
    assert reply.choices[0].message.content == "from backup"


async def test_a_cut_embedding_answer_is_a_502(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    primary.answer_next_raw(
        b'{"object": "list", "data": [{"embedding": [0.1, 0.', "application/json"
    )
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.embeddings.create(model="vectors", input="text")
    assert caught.value.status_code == 502


async def test_json_without_its_content_type_is_still_an_answer(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    body = (
        b'{"id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "m", '
        b'"choices": [{"index": 0, "finish_reason": "stop", '
        b'"message": {"role": "assistant", "content": "plain-typed"}}], '
        b'"usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}'
    )
    primary.answer_next_raw(body, "text/plain")
    async with gateway.client() as client:
        raw = await client.chat.completions.with_raw_response.create(model="alone", messages=HI)
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.parse().choices[0].message.content == "plain-typed"


async def test_a_dropped_connection_goes_to_the_fallback_or_ends_in_openai_shape(
    gateway: RunningGateway, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    primary, _ = upstreams
    primary.reset_next()
    primary.reset_next()
    async with gateway.client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="alone", messages=HI)
        assert caught.value.status_code == 503
        assert caught.value.message.endswith("cannot reach the upstream (ServerDisconnectedError)")
        reply = await client.chat.completions.create(model="primary", messages=HI)
    assert reply.choices[0].message.content == "from backup"
