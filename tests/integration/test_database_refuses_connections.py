"""PostgreSQL refusing connections ("too many connections", SQLSTATE 53300) under a running
gateway: callers get a 503 ``database_unavailable`` in OpenAI's shape instead of a 500, the
log gets a warning without a traceback, and keys the gateway already knows keep working.

The gateway connects as a role with a ``CONNECTION LIMIT``; the test ends the gateway's
connections and takes every slot of that role itself, which is what a server full of
other clients looks like to the gateway."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import openai
import pytest
from sqlalchemy.engine import make_url

from app.keys.spec import KeySpec
from tests.support.db import backend, fresh_database
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL")

HI = [{"role": "user", "content": "Hi"}]
SLOTS = 2


def _dsn(url: str, user: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return (parsed.set(username=user) if user else parsed).render_as_string(hide_password=False)


async def _create_role(admin: asyncpg.Connection, role: str) -> None:
    await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT {SLOTS}')
    await admin.execute(f'GRANT ALL ON SCHEMA public TO "{role}"')
    await admin.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
    await admin.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')


async def _drop_role(url: str, role: str) -> None:
    admin = await asyncpg.connect(_dsn(url))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role
        )
        await admin.execute(f'DROP OWNED BY "{role}"')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        await admin.close()


@pytest.fixture
async def limited(fake_openai: FakeOpenAI) -> AsyncIterator[tuple[RunningGateway, str, str]]:
    """A gateway on its own database, connected as a role that may hold ``SLOTS``
    connections: (gateway, admin URL, role)."""
    role = f"deltallm_limited_{uuid.uuid4().hex[:12]}"
    async with fresh_database() as url:
        admin = await asyncpg.connect(_dsn(url))
        try:
            await _create_role(admin, role)
        finally:
            await admin.close()
        config: dict[str, Any] = {
            "model_list": [
                {
                    "model_name": "chat",
                    "deltallm_params": {"model": "openai/chat", "api_base": fake_openai.base_url},
                }
            ],
            "general_settings": {
                "proxy_batch_write_at": 0.1,
                "database_connection_pool_limit": SLOTS,
                "database_connection_timeout": 2,
                "database_query_timeout": 2,
            },
        }
        as_role = make_url(url).set(username=role).render_as_string(hide_password=False)
        try:
            async with running_gateway(config, {"DATABASE_URL": as_role}) as gw:
                yield gw, url, role
        finally:
            await _drop_role(url, role)


async def ask(gw: RunningGateway, secret: str) -> str:
    async with gw.client(secret) as client:
        reply = await client.chat.completions.create(model="chat", messages=HI)
    return reply.choices[0].message.content or ""


async def _take_every_slot(url: str, role: str) -> list[asyncpg.Connection]:
    """End the gateway's connections, then hold every connection the role may open."""
    admin = await asyncpg.connect(_dsn(url))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role
        )
    finally:
        await admin.close()
    held = [await asyncpg.connect(_dsn(url, role)) for _ in range(SLOTS)]
    with pytest.raises(asyncpg.TooManyConnectionsError):
        await asyncpg.connect(_dsn(url, role))  # the server really refuses now
    return held


async def test_refused_connections_are_a_503_and_known_keys_keep_working(
    limited: tuple[RunningGateway, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    gw, url, role = limited
    known = await gw.runtime.keys.create(KeySpec(rpm_limit=100))
    unknown = await gw.runtime.keys.create(KeySpec(rpm_limit=100))
    assert await ask(gw, known.secret) == "Hello there!"

    held = await _take_every_slot(url, role)
    try:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert await ask(gw, known.secret) == "Hello there!"
            with pytest.raises(openai.InternalServerError) as caught:
                await ask(gw, unknown.secret)
        assert caught.value.status_code == 503
        assert caught.value.code == "database_unavailable"
        assert "database cannot be reached" in caught.value.message
        body = caught.value.body
        assert isinstance(body, dict) and body["type"] == "service_unavailable_error"
        tracebacks = [
            r.getMessage() for r in caplog.records if r.exc_info and r.name.startswith("deltallm")
        ]
        assert tracebacks == []
    finally:
        for connection in held:
            await connection.close()
    assert await ask(gw, unknown.secret) == "Hello there!"
