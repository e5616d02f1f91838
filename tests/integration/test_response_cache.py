"""The response cache on each backend (memory, Redis, S3 via moto), through the OpenAI SDK:
identical requests are answered once, whatever their key order; any parameter that changes
the answer misses; entries expire by the cache's clock; identical requests in flight at
once reach the upstream once; embeddings and completions are cached too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cache import BACKENDS, FakeS3, ManualClock, cache_config, cache_redis, fake_s3
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql

pytestmark = pytest.mark.timeout(60)


Backend = tuple[str, FakeS3 | None, dict[str, str]]
"""The backend's name, the S3 stand-in (for s3), and its extra cache_params."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "s3":
        with fake_s3() as s3:
            yield "s3", s3, {}
    elif request.param == "redis":
        with cache_redis(tmp_path) as url:
            yield "redis", None, {"url": url}
    else:
        yield "local", None, {}


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI, backend: Backend) -> AsyncIterator[RunningGateway]:
    kind, s3, extra = backend
    async with running_gateway(cache_config(fake_openai, kind, s3, **extra)) as gw:
        assert gw.runtime.gateway.cache is not None
        assert gw.runtime.gateway.cache.backend.name == kind
        yield gw


def chat_calls(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.path.endswith("/chat/completions"))


async def chat(gw: RunningGateway, **kwargs: Any) -> Any:
    async with gw.client() as client:
        return await client.chat.completions.with_raw_response.create(**kwargs)


async def test_an_identical_request_is_answered_from_the_cache(
    gateway: RunningGateway,
    fake_openai: FakeOpenAI,
    backend: Backend,
) -> None:
    ask = {
        "model": "gpt-c",
        "messages": [{"role": "user", "content": "What is 2+2?"}],
        "temperature": 0,
        "response_format": {"type": "json_object"},
    }
    first = await chat(gateway, **ask)
    second = await chat(gateway, **ask)
    assert first.headers["x-deltallm-cache"] == "miss"
    assert second.headers["x-deltallm-cache"] == "hit"
    assert second.parse().choices[0].message.content == "Hello there!"
    assert second.parse().model_dump() == first.parse().model_dump()
    assert chat_calls(fake_openai) == 1
    kind, s3, _ = backend
    if s3 is not None:
        assert len(s3.keys()) == 1
    metrics = gateway.runtime.metrics.render().decode()
    for event in ("hits", "misses", "stores"):
        line = f'deltallm_cache_{event}_total{{backend="{kind}",call_type="chat_completions"}} 1.0'
        assert line in metrics


async def test_key_order_does_not_matter(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    await chat(
        gateway,
        model="gpt-c",
        messages=[{"role": "user", "content": "Order?"}],
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": {}}},
        temperature=0.5,
    )
    again = await chat(
        gateway,
        temperature=0.5,
        response_format={"json_schema": {"schema": {}, "name": "a"}, "type": "json_schema"},
        messages=[{"content": "Order?", "role": "user"}],
        model="gpt-c",
    )
    assert again.headers["x-deltallm-cache"] == "hit"
    assert chat_calls(fake_openai) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"temperature": 0.9},
        {"top_p": 0.5},
        {"max_tokens": 7},
        {"seed": 42},
        {"stop": ["x"]},
        {"n": 2},
        {"logit_bias": {"50256": -100}},
        {"tool_choice": "none", "tools": [{"type": "function", "function": {"name": "f"}}]},
        {"messages": [{"role": "user", "content": "Something else"}]},
    ],
)
async def test_a_parameter_that_changes_the_answer_misses(
    fake_openai: FakeOpenAI, change: dict[str, Any]
) -> None:
    async with running_gateway(cache_config(fake_openai)) as gateway:
        base = {"model": "gpt-c", "messages": [{"role": "user", "content": "Hi"}]}
        await chat(gateway, **base)
        changed = await chat(gateway, **{**base, **change})
        assert changed.headers["x-deltallm-cache"] == "miss"
        assert chat_calls(fake_openai) == 2


async def test_entries_expire_after_their_ttl(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    cache = gateway.runtime.gateway.cache
    assert cache is not None
    clock = ManualClock()
    cache.clock = clock
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Expire me"}]}
    await chat(gateway, **ask)
    clock.advance(59)  # the configured ttl is 60 s
    assert (await chat(gateway, **ask)).headers["x-deltallm-cache"] == "hit"
    clock.advance(2)
    assert (await chat(gateway, **ask)).headers["x-deltallm-cache"] == "miss"
    assert chat_calls(fake_openai) == 2
    clock.advance(20)  # the entry is 20 s old: too old for a caller accepting 10 s
    young = await chat(gateway, extra_headers={"Cache-Control": "max-age=10"}, **ask)
    assert young.headers["x-deltallm-cache"] == "miss"
    clock.advance(5)
    fresh = await chat(gateway, extra_body={"cache": {"s-maxage": 10}}, **ask)
    assert fresh.headers["x-deltallm-cache"] == "hit"
    assert chat_calls(fake_openai) == 3
    # A per-request ttl (the master key may set every control) outlives the default.
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Keep me"}]}
    ask["extra_body"] = {"cache": {"ttl": 600}}
    assert (await chat(gateway, **ask)).headers["x-deltallm-cache"] == "miss"
    clock.advance(300)
    assert (await chat(gateway, **ask)).headers["x-deltallm-cache"] == "hit"
    assert chat_calls(fake_openai) == 4


async def test_identical_requests_in_flight_reach_the_upstream_once(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    cache = gateway.runtime.gateway.cache
    assert cache is not None
    fake_openai.hold = asyncio.Event()
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "All at once"}]}
    tasks = [asyncio.create_task(chat(gateway, **ask)) for _ in range(5)]
    for _ in range(1000):  # the first reached the upstream, the other four wait for it
        if chat_calls(fake_openai) == 1 and cache.flights.waiting == 4:
            break
        await asyncio.sleep(0.01)
    assert cache.flights.waiting == 4
    fake_openai.hold.set()
    answers = await asyncio.gather(*tasks)
    assert chat_calls(fake_openai) == 1
    assert sorted(a.headers["x-deltallm-cache"] for a in answers) == ["hit"] * 4 + ["miss"]
    assert {a.parse().choices[0].message.content for a in answers} == {"Hello there!"}


async def test_embeddings_and_completions_are_cached(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as client:
        one = await client.embeddings.with_raw_response.create(model="emb", input=["a", "b"])
        two = await client.embeddings.with_raw_response.create(model="emb", input=["a", "b"])
        other = await client.embeddings.with_raw_response.create(model="emb", input=["a"])
        text = await client.completions.with_raw_response.create(model="gpt-c", prompt="Say")
        again = await client.completions.with_raw_response.create(model="gpt-c", prompt="Say")
    assert [r.headers["x-deltallm-cache"] for r in (one, two, other)] == ["miss", "hit", "miss"]
    assert len(two.parse().data) == 2
    assert two.parse().data[0].embedding == [0.1, 0.2, 0.3]
    assert (text.headers["x-deltallm-cache"], again.headers["x-deltallm-cache"]) == (
        "miss",
        "hit",
    )
    assert again.parse().choices[0].text == "Hello there!"
    paths = [r.path for r in fake_openai.requests]
    assert paths.count("/v1/embeddings") == 2
    assert paths.count("/v1/completions") == 1


async def test_instances_sharing_redis_compute_an_answer_once(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    with cache_redis(tmp_path) as url:
        await _shared_redis(fake_openai, url)


async def _shared_redis(fake_openai: FakeOpenAI, url: str) -> None:
    config = cache_config(fake_openai, "redis", url=url)
    config["general_settings"]["redis_namespace"] = config["litellm_settings"]["cache_params"][
        "namespace"
    ]
    async with running_gateway(config) as one, running_gateway(config) as two:
        other = two.runtime.gateway.cache
        assert other is not None
        fake_openai.hold = asyncio.Event()
        ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Across?"}]}
        first = asyncio.create_task(chat(one, **ask))
        for _ in range(1000):  # the first instance holds the lock and reached the upstream
            if chat_calls(fake_openai) == 1:
                break
            await asyncio.sleep(0.01)
        second = asyncio.create_task(chat(two, **ask))
        for _ in range(1000):  # the second waits for the first instance's entry
            if other.flights.waiting == 1:
                break
            await asyncio.sleep(0.01)
        assert other.flights.waiting == 1
        fake_openai.hold.set()
        answers = await asyncio.gather(first, second)
    assert [a.headers["x-deltallm-cache"] for a in answers] == ["miss", "hit"]
    assert chat_calls(fake_openai) == 1


async def test_flush_empties_the_backend(
    gateway: RunningGateway,
    fake_openai: FakeOpenAI,
    backend: Backend,
) -> None:
    ask = {"model": "gpt-c", "messages": [{"role": "user", "content": "Flush me"}]}
    await chat(gateway, **ask)
    await chat(gateway, extra_body={"cache": {"namespace": "other"}}, **ask)
    assert chat_calls(fake_openai) == 2  # namespaces keep entries apart
    flushed = await gql(gateway, "mutation { flushCache { deleted errors { code } } }")
    assert flushed["data"]["flushCache"] == {"deleted": 2, "errors": []}
    assert (await chat(gateway, **ask)).headers["x-deltallm-cache"] == "miss"
    _, s3, _ = backend
    if s3 is not None:
        assert len(s3.keys()) == 1  # only the entry stored after the flush
