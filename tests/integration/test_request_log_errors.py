"""RequestLog.errorMessage over POST /graphql: why a failed call failed, redacted and
bounded, with no secret and no prompt text; null for calls that succeeded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import openai
import pytest

from app.keys.spec import KeySpec
from tests.support.clock import ticking
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql

PROMPT = "my very private prompt about the quarterly numbers nobody may read"
SECRET = "sk-live-0123456789abcdef"
LOGS = """{ requestLogs(first: 10, order: OLDEST_FIRST) { edges { node {
  status statusCode errorMessage } } } }"""


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    params = {"model": "openai/gpt-a", "api_base": fake_openai.base_url}
    config = {
        "model_list": [{"model_name": "gpt-a", "deltallm_params": params}],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        gw.runtime.gateway.set_clock(ticking(datetime(2026, 3, 10, 12, tzinfo=UTC)))
        yield gw


async def logged(gw: RunningGateway) -> list[dict[str, Any]]:
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    body = await gql(gw, LOGS)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["requestLogs"]["edges"]]


async def test_a_failed_call_keeps_a_redacted_message(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    key = await gateway.runtime.keys.create(KeySpec(rpm_limit=2))
    upstream = (
        f"Rejected with api_key={SECRET} for '{PROMPT}'; see https://docs.example.com/e?k=1 "
        + "x" * 600
    )
    fake_openai.fail_next(400, upstream)
    async with gateway.client(key.secret) as client:
        with pytest.raises(openai.BadRequestError):
            await client.chat.completions.create(
                model="gpt-a", messages=[{"role": "user", "content": PROMPT}]
            )
        await client.chat.completions.create(
            model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
        )
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(
                model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
            )
    failed, ok, limited = await logged(gateway)
    assert (failed["status"], failed["statusCode"]) == ("error", 400)
    message = failed["errorMessage"]
    assert "Rejected with api_key=[redacted] for [quoted text]; see [url] xxx" in message
    assert len(message) <= 300 and message.endswith("…")
    for leaked in (SECRET, PROMPT, "docs.example.com"):
        assert leaked not in message
    assert (ok["status"], ok["errorMessage"]) == ("ok", None)
    assert limited["statusCode"] == 429 and "limit" in limited["errorMessage"].lower()


async def test_a_stream_that_fails_keeps_its_message(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail_next(400, "The model refused: context_length_exceeded")
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError):
            stream = await client.chat.completions.create(
                model="gpt-a", messages=[{"role": "user", "content": PROMPT}], stream=True
            )
            async for _ in stream:
                pass
    [failed] = await logged(gateway)
    assert failed["status"] == "error"
    assert "context_length_exceeded" in failed["errorMessage"]
    assert PROMPT not in failed["errorMessage"]
