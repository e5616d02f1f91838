"""PostgreSQL unreachable under a running gateway (a proxy in front of it is cut): keys the
gateway knows keep being served, unknown keys and the admin API get a 503 / UNAVAILABLE
naming the cause, no traceback per call, and every accepted call's spend record is written
once the database is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from sqlalchemy.engine import make_url

from app.keys.spec import KeySpec
from tests.support.db import backend, fresh_database
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL")

HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
async def proxied(fake_openai: FakeOpenAI) -> AsyncIterator[tuple[RunningGateway, TcpProxy]]:
    async with fresh_database() as url:
        server = make_url(url)
        proxy = await TcpProxy(server.host or "127.0.0.1", server.port or 5432).start()
        via = server.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        config: dict[str, Any] = {
            "model_list": [
                {
                    "model_name": "chat",
                    "deltallm_params": {"model": "openai/chat", "api_base": fake_openai.base_url},
                }
            ],
            "general_settings": {
                "proxy_batch_write_at": 0.1,
                "database_connection_timeout": 2,
                "database_query_timeout": 2,
            },
        }
        try:
            async with running_gateway(config, {"DATABASE_URL": via}) as gw:
                yield gw, proxy
        finally:
            await proxy.stop()


async def ask(gw: RunningGateway, secret: str) -> str:
    async with gw.client(secret) as client:
        reply = await client.chat.completions.create(model="chat", messages=HI)
    return reply.choices[0].message.content or ""


async def test_known_keys_are_served_and_nothing_accepted_is_lost(
    proxied: tuple[RunningGateway, TcpProxy], caplog: pytest.LogCaptureFixture
) -> None:
    gw, proxy = proxied
    known = await gw.runtime.keys.create(KeySpec(rpm_limit=100))
    unknown = await gw.runtime.keys.create(KeySpec(rpm_limit=100))
    assert await ask(gw, known.secret) == "Hello there!"

    await proxy.cut()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert await ask(gw, known.secret) == "Hello there!"
        assert await ask(gw, gw.master_key) == "Hello there!"
        with pytest.raises(openai.InternalServerError) as caught:
            await ask(gw, unknown.secret)
        assert caught.value.status_code == 503
        assert caught.value.code == "database_unavailable"
        assert caught.value.response.headers["retry-after"] == "1"
        answer = await gql(gw, "{ keys(first: 5) { totalCount } }")
        assert answer["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert answer["errors"][0]["extensions"]["reason"] == "database_unavailable"
        await asyncio.sleep(0.5)  # spend flushes fail meanwhile, and wait
    tracebacks = [
        r.getMessage() for r in caplog.records if r.exc_info and r.name.startswith("deltallm")
    ]
    assert tracebacks == []

    await proxy.restore()
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        answer = await gql(gw, "{ requestLogs(first: 50) { totalCount } }")
        if "errors" not in answer and answer["data"]["requestLogs"]["totalCount"] == 5:
            break  # the call before the cut, the four served during it
        assert asyncio.get_running_loop().time() < deadline, answer
        await asyncio.sleep(0.3)
    assert await ask(gw, unknown.secret) == "Hello there!"


@pytest.fixture
async def small_pool(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with fresh_database() as url:
        config: dict[str, Any] = {
            "model_list": [
                {
                    "model_name": "chat",
                    "deltallm_params": {"model": "openai/chat", "api_base": fake_openai.base_url},
                }
            ],
            "general_settings": {
                "proxy_batch_write_at": 0.1,
                "database_connection_pool_limit": 1,  # at most one connection
                "database_connection_timeout": 1,
            },
        }
        async with running_gateway(config, {"DATABASE_URL": url}) as gw:
            yield gw


async def test_an_exhausted_pool_is_an_outage_not_an_error_and_passes(
    small_pool: RunningGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gw = small_pool
    known = await gw.runtime.keys.create(KeySpec(rpm_limit=100))
    unknown = await gw.runtime.keys.create(KeySpec(rpm_limit=100))
    assert await ask(gw, known.secret) == "Hello there!"

    caplog.clear()
    async with gw.runtime.engine.connect() as held:  # the one connection the pool may open
        await held.exec_driver_sql("SELECT 1")
        with caplog.at_level(logging.WARNING):
            assert await ask(gw, known.secret) == "Hello there!"
            with pytest.raises(openai.InternalServerError) as caught:
                await ask(gw, unknown.secret)
            assert caught.value.status_code == 503
            assert caught.value.code == "database_unavailable"
            answer = await gql(gw, "{ keys(first: 5) { totalCount } }")
            assert answer["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    tracebacks = [
        r.getMessage() for r in caplog.records if r.exc_info and r.name.startswith("deltallm")
    ]
    assert tracebacks == []

    assert await ask(gw, unknown.secret) == "Hello there!"
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        answer = await gql(gw, "{ requestLogs(first: 50) { totalCount } }")
        if "errors" not in answer and answer["data"]["requestLogs"]["totalCount"] == 3:
            break  # before, during and after the pool was taken: none lost
        assert asyncio.get_running_loop().time() < deadline, answer
        await asyncio.sleep(0.3)


async def test_a_database_that_hangs_is_an_outage_not_a_hang(
    proxied: tuple[RunningGateway, TcpProxy], caplog: pytest.LogCaptureFixture
) -> None:
    gw, proxy = proxied
    known = await gw.runtime.keys.create(KeySpec(rpm_limit=100))
    unknown = await gw.runtime.keys.create(KeySpec(rpm_limit=100))
    assert await ask(gw, known.secret) == "Hello there!"

    proxy.freeze()  # connections stay open; nothing comes back
    try:
        with caplog.at_level(logging.WARNING):
            assert await asyncio.wait_for(ask(gw, known.secret), 30) == "Hello there!"
            with pytest.raises(openai.InternalServerError) as caught:
                await asyncio.wait_for(ask(gw, unknown.secret), 30)
            assert caught.value.code == "database_unavailable"
            answer = await asyncio.wait_for(gql(gw, "{ keys(first: 5) { totalCount } }"), 30)
            assert answer["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    finally:
        proxy.thaw()
    tracebacks = [
        r.getMessage() for r in caplog.records if r.exc_info and r.name.startswith("deltallm")
    ]
    assert tracebacks == []
    assert await ask(gw, unknown.secret) == "Hello there!"
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        answer = await gql(gw, "{ requestLogs(first: 50) { totalCount } }")
        if "errors" not in answer and answer["data"]["requestLogs"]["totalCount"] == 3:
            break
        assert asyncio.get_running_loop().time() < deadline, answer
        await asyncio.sleep(0.3)
