"""Shared fixtures: fake providers on loopback, and a fresh database for service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import create_engine, session_factory
from tests.support.db import fresh_database
from tests.support.fake_oidc import FakeOidcProvider
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A migrated database of its own (SQLite, or PostgreSQL in the second pass)."""
    async with fresh_database() as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def second_fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI(reply="From the second upstream", name="second").start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def provider() -> AsyncIterator[FakeOidcProvider]:
    """An OIDC provider on loopback that signs real RS256 tokens."""
    server = await FakeOidcProvider().start()
    try:
        yield server
    finally:
        await server.stop()
