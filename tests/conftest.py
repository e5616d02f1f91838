"""Shared fixtures: fake providers on loopback and the real gateway in front of them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.fake_openai import FakeOpenAI


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
