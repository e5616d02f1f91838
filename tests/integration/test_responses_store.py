"""Stored responses (``general_settings.responses_store``): follow-up turns by
``previous_response_id``, ``GET`` and ``DELETE`` per key, and the retention purge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import openai
import pytest

from app.db.types import utcnow
from app.keys.spec import KeySpec
from app.responses.store import ResponseStore
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    base = fake_openai.base_url
    config = {
        "model_list": [
            {
                "model_name": "gpt-chat",
                "deltallm_params": {
                    "model": "openai/gpt-c",
                    "api_base": base,
                    "supports_responses_api": False,
                },
            },
            {
                "model_name": "gpt-native",
                "deltallm_params": {"model": "openai/gpt-n", "api_base": base},
            },
        ],
        "general_settings": {"responses_store": {"enabled": True, "retention_days": 7}},
    }
    async with running_gateway(config) as gw:
        yield gw


def store_of(gw: RunningGateway) -> ResponseStore:
    store = gw.runtime.responses_store
    assert store is not None
    return store


def last_body(fake: FakeOpenAI) -> dict[str, Any]:
    body = fake.requests[-1].body
    assert isinstance(body, dict)
    return body


async def test_follow_up_turn_get_and_delete(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as sdk:
        first = await sdk.responses.create(
            model="gpt-chat", instructions="Be brief.", input="My name is Ann."
        )
        second = await sdk.responses.create(
            model="gpt-chat", input="What is my name?", previous_response_id=first.id
        )
        assert second.output_text == "Hello there!"
        assert last_body(fake_openai)["messages"] == [
            {"role": "user", "content": "My name is Ann."},
            {"role": "assistant", "content": "Hello there!"},
            {"role": "user", "content": "What is my name?"},
        ]
        third = await sdk.responses.create(
            model="gpt-chat", input="And again?", previous_response_id=second.id
        )
        assert len(last_body(fake_openai)["messages"]) == 5
        fetched = await sdk.responses.retrieve(first.id)
        assert fetched.id == first.id and fetched.output_text == "Hello there!"
        await sdk.responses.delete(third.id)
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.retrieve(third.id)
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.create(
                model="gpt-chat", input="More?", previous_response_id=third.id
            )


async def test_a_key_sees_only_its_own(gateway: RunningGateway) -> None:
    owner = await gateway.runtime.keys.create(KeySpec())
    other = await gateway.runtime.keys.create(KeySpec())
    async with gateway.client(owner.secret) as sdk:
        mine = await sdk.responses.create(model="gpt-chat", input="Hi")
        assert (await sdk.responses.retrieve(mine.id)).id == mine.id
    async with gateway.client(other.secret) as sdk:
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.retrieve(mine.id)
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.delete(mine.id)
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.create(model="gpt-chat", input="?", previous_response_id=mine.id)
    async with gateway.client() as sdk:  # the master key reads every key's
        assert (await sdk.responses.retrieve(mine.id)).id == mine.id


async def test_streamed_response_is_stored(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as sdk:
        stream = await sdk.responses.create(model="gpt-chat", input="Hi", stream=True)
        events = [event async for event in stream]
        final = events[-1].response
        assert final.store is True
        # Stored before the final event reached the caller: the follow-up finds it at once.
        await sdk.responses.create(model="gpt-chat", input="Next", previous_response_id=final.id)
    assert last_body(fake_openai)["messages"][1] == {"role": "assistant", "content": "Hello there!"}


async def test_store_false_is_not_stored(gateway: RunningGateway) -> None:
    async with gateway.client() as sdk:
        response = await sdk.responses.create(model="gpt-chat", input="Hi", store=False)
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.retrieve(response.id)


async def test_native_follow_up_sends_the_conversation(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as sdk:
        first = await sdk.responses.create(model="gpt-native", input="Hi")
        await sdk.responses.create(model="gpt-native", input="More", previous_response_id=first.id)
    body = last_body(fake_openai)
    assert "previous_response_id" not in body
    assert [item.get("role") for item in body["input"]] == ["user", "assistant", "user"]
    assert body["input"][1]["content"][0]["text"] == "Hello there!"


async def test_expired_responses_are_purged(gateway: RunningGateway) -> None:
    store = store_of(gateway)
    async with gateway.client() as sdk:
        response = await sdk.responses.create(model="gpt-chat", input="Hi")
        assert await store.purge() == 0
        store.clock = lambda: utcnow() + timedelta(days=8)
        assert await store.purge() == 1
        store.clock = utcnow
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.retrieve(response.id)
