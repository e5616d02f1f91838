"""Streams under budgets, spend of every stream, and several instances sharing state."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from app.db.engine import create_engine, session_factory
from app.keys.invalidation import DatabaseInvalidator
from app.keys.service import KeyService, KeySpec
from app.spend.models import SpendLog, SpendStatus
from app.tokens import estimate_prompt_tokens
from tests.support.db import fresh_database
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

HI = [{"role": "user", "content": "Hi"}]
PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
needs_redis = pytest.mark.skipif(
    not os.environ.get("DELTALLM_TEST_REDIS_URL"),
    reason="several instances share state through Redis (DELTALLM_TEST_REDIS_URL)",
)


def config(fake: FakeOpenAI, **general: Any) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "api_base": fake.base_url, **PRICE},
            }
        ],
        "general_settings": {"proxy_batch_write_at": 0.1, **general},
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(config(fake_openai, max_reserved_output_tokens=5)) as gw:
        yield gw


async def logs(gw: RunningGateway, key_id: str) -> list[SpendLog]:
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    async with gw.runtime.sessions() as session:
        query = select(SpendLog).where(SpendLog.key_id == key_id)
        return list((await session.exec(query)).all())


async def test_stream_is_cut_cleanly_when_the_budget_runs_out(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = " ".join(["word"] * 400)  # far more than the budget pays for
    fake_openai.chunk_delay = 0.01
    prompt = estimate_prompt_tokens({"messages": HI})
    budget = (prompt + 5) * Decimal("0.001") + Decimal("0.0005")
    created = await gateway.runtime.keys.create(KeySpec(max_budget=budget))
    received: list[Any] = []
    async with gateway.client(created.secret) as client:
        stream = await client.chat.completions.create(model="gpt-a", messages=HI, stream=True)
        with pytest.raises(openai.APIError) as caught:
            async for chunk in stream:
                received.append(chunk)
    assert "budget ran out" in str(caught.value)
    assert received[-1].choices[0].finish_reason == "length"
    text = "".join(c.choices[0].delta.content or "" for c in received if c.choices)
    assert 0 < len(text) < len(fake_openai.reply)
    await asyncio.wait_for(fake_openai.stream_cancelled.wait(), timeout=5)
    [log] = await logs(gateway, created.key.id)
    assert log.status is SpendStatus.OK and log.completion_tokens > 0


async def test_streams_are_charged_with_the_upstream_usage(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec())
    async with gateway.client(created.secret) as client:
        stream = await client.chat.completions.create(model="gpt-a", messages=HI, stream=True)
        chunks = [c async for c in stream]
    assert all(c.usage is None for c in chunks)  # the caller did not ask for usage
    [log] = await logs(gateway, created.key.id)
    assert (log.prompt_tokens, log.completion_tokens) == (9, 2)
    assert log.cost == Decimal("0.011")
    assert log.ttft_ms is not None and log.status is SpendStatus.OK


async def test_abandoned_streams_are_charged(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = " ".join(["word"] * 50)
    fake_openai.chunk_delay = 0.05
    created = await gateway.runtime.keys.create(KeySpec())
    async with (
        httpx.AsyncClient() as http,
        http.stream(
            "POST",
            f"{gateway.base_url}/chat/completions",
            json={"model": "gpt-a", "stream": True, "messages": HI},
            headers={"Authorization": f"Bearer {created.secret}"},
        ) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                break
    await asyncio.wait_for(fake_openai.stream_cancelled.wait(), timeout=5)
    await asyncio.sleep(0.2)
    [log] = await logs(gateway, created.key.id)
    assert log.status is SpendStatus.CANCELLED
    assert log.completion_tokens >= 1 and log.cost > 0


async def test_cli_changes_reach_the_embedded_server_within_a_second(
    fake_openai: FakeOpenAI,
) -> None:
    async with running_gateway(config(fake_openai), env={"REDIS_URL": ""}) as gw:
        assert gw.runtime.redis is None
        # Another process (the CLI) has its own engine and the database channel.
        engine = create_engine(gw.runtime.settings.database_url.get_secret_value())
        try:
            sessions = session_factory(engine)
            salt = gw.runtime.settings.salt_key.get_secret_value()
            other = KeyService(sessions, salt, DatabaseInvalidator(sessions))
            created = await other.create(KeySpec())
            async with gw.client(created.secret) as client:
                await client.chat.completions.create(model="gpt-a", messages=HI)
                await other.revoke(created.key.id)
                started = time.monotonic()
                while True:
                    try:
                        await client.chat.completions.create(model="gpt-a", messages=HI)
                    except openai.AuthenticationError:
                        break
                    await asyncio.sleep(0.05)
                assert time.monotonic() - started < 1.0
        finally:
            await engine.dispose()


@needs_redis
async def test_revocation_reaches_another_instance_within_a_second(
    fake_openai: FakeOpenAI,
) -> None:
    async with fresh_database() as url, AsyncExitStack() as stack:
        env = {"DATABASE_URL": url}
        first = await stack.enter_async_context(running_gateway(config(fake_openai), env=env))
        second = await stack.enter_async_context(running_gateway(config(fake_openai), env=env))
        created = await first.runtime.keys.create(KeySpec())
        async with second.client(created.secret) as client:
            await client.chat.completions.create(model="gpt-a", messages=HI)  # now cached
            await first.runtime.keys.revoke(created.key.id)
            started = time.monotonic()
            while True:
                try:
                    await client.chat.completions.create(model="gpt-a", messages=HI)
                except openai.AuthenticationError:
                    break
                await asyncio.sleep(0.02)
            assert time.monotonic() - started < 1.0


@needs_redis
async def test_budget_holds_across_two_instances(fake_openai: FakeOpenAI) -> None:
    reserve = (estimate_prompt_tokens({"messages": HI}) + 10) * Decimal("0.001")
    budget = reserve * 20
    fake_openai.hold = asyncio.Event()  # nothing settles before every call was decided
    async with fresh_database() as url, AsyncExitStack() as stack:
        env = {"DATABASE_URL": url}
        gateways = [
            await stack.enter_async_context(running_gateway(config(fake_openai), env=env))
            for _ in range(2)
        ]
        created = await gateways[0].runtime.keys.create(KeySpec(max_budget=budget))
        clients = [await stack.enter_async_context(g.client(created.secret)) for g in gateways]
        refused = 0

        async def one(i: int) -> bool:
            nonlocal refused
            try:
                await clients[i % 2].chat.completions.create(
                    model="gpt-a", messages=HI, max_tokens=10
                )
            except openai.RateLimitError:
                refused += 1
                return False
            return True

        calls = asyncio.gather(*(one(i) for i in range(200)))
        # Polls two counts: refusals here, arrivals at the upstream.
        while refused + len(fake_openai.requests) < 200 and not calls.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        fake_openai.hold.set()
        admitted = sum(await calls)
        assert admitted == 20
        for g in gateways:
            await g.runtime.gateway.settler.drain()
            await g.runtime.spend_queue.flush()
        totals = select(SpendLog.status, func.sum(SpendLog.cost), func.count(col(SpendLog.id)))
        async with gateways[0].runtime.sessions() as session:
            rows = (await session.exec(totals.group_by(SpendLog.status))).all()
        by_status = {status: (cost, count) for status, cost, count in rows}
        total, count = by_status["ok"]
        assert count == 20
        assert (Decimal(by_status["error"][0]), by_status["error"][1]) == (0, 180)
        assert Decimal(total) == Decimal("0.012") * 20 <= budget
