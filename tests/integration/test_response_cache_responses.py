"""The Responses API and the response cache, through the OpenAI SDK: a response is cached
whole or from its completed stream and replayed as typed events; stored responses (whose
ids later requests refer to) are never answered from the cache."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cache import cache_config
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

pytestmark = pytest.mark.timeout(60)


def responses_calls(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.path.endswith("/responses"))


async def streamed(gw: RunningGateway, **kwargs: Any) -> tuple[str, list[Any]]:
    async with gw.client() as client:
        raw = await client.responses.with_raw_response.create(stream=True, **kwargs)
        events = [event async for event in raw.parse()]
    return raw.headers["x-deltallm-cache"], events


async def test_a_response_is_cached_and_replayed_as_events(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply = "Trains are greener"
    async with running_gateway(cache_config(fake_openai)) as gateway:
        header, events = await streamed(gateway, model="gpt-c", input="Train or plane?")
        assert header == "miss"
        header, again = await streamed(gateway, model="gpt-c", input="Train or plane?")
        assert header == "hit"
        assert events[-1].type == "response.completed"
        kinds = [e.type for e in again]
        assert kinds == [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            *["response.output_text.delta"] * 3,
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
        assert [e.sequence_number for e in again] == list(range(len(again)))
        text = "".join(e.delta for e in again if e.type == "response.output_text.delta")
        assert text == "Trains are greener"
        assert again[-1].response.output_text == "Trains are greener"
        async with gateway.client() as client:
            raw = await client.responses.with_raw_response.create(
                model="gpt-c", input="Train or plane?"
            )
        assert raw.headers["x-deltallm-cache"] == "hit"
        assert raw.parse().output_text == "Trains are greener"
        assert raw.parse().usage is not None and raw.parse().usage.total_tokens == 15
        assert responses_calls(fake_openai) == 1


async def test_stored_responses_are_never_cached(fake_openai: FakeOpenAI) -> None:
    config = cache_config(fake_openai)
    config["general_settings"]["responses_store"] = {"enabled": True}
    async with running_gateway(config) as gateway:
        async with gateway.client() as client:
            for _ in range(2):
                raw = await client.responses.with_raw_response.create(model="gpt-c", input="Hi")
                assert "x-deltallm-cache" not in raw.headers
            kept = await client.responses.with_raw_response.create(
                model="gpt-c", input="Hi", store=False
            )
            again = await client.responses.with_raw_response.create(
                model="gpt-c", input="Hi", store=False
            )
        assert (kept.headers["x-deltallm-cache"], again.headers["x-deltallm-cache"]) == (
            "miss",
            "hit",
        )
        assert responses_calls(fake_openai) == 3
