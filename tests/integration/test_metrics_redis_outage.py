"""Redis stopped under a gateway whose rate limits fail open: calls are served, a warning is
logged, and ``/metrics`` counts the failed counter calls and the calls served uncounted."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.keys.service import KeySpec
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.redis_server import RedisServer, redis_server_binary
from tests.support.scrape import scrape

pytestmark = pytest.mark.skipif(redis_server_binary() is None, reason="needs redis-server")

HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def gateway(
    fake_openai: FakeOpenAI, redis_server: RedisServer
) -> AsyncIterator[RunningGateway]:
    """Started before the test so that its logging setup precedes the test's log capture."""
    config = {
        "model_list": [
            {
                "model_name": "chat",
                "deltallm_params": {"model": "openai/chat", "api_base": fake_openai.base_url},
            }
        ],
        "general_settings": {"redis_unavailable": {"rate_limits": "open"}},
    }
    async with running_gateway(config, {"REDIS_URL": redis_server.url}) as gw:
        yield gw


async def test_fail_open_is_logged_and_counted(
    gateway: RunningGateway, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    gw = gateway
    limited = await gw.runtime.keys.create(KeySpec(rpm_limit=1))
    before = await scrape(gw.root, gw.master_key)
    assert before.total("deltallm_redis_outage_admissions_total") == 0
    redis_server.stop()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        async with gw.client(limited.secret) as client:
            for _ in range(3):
                await client.chat.completions.create(model="chat", messages=HI)
    metrics = await scrape(gw.root, gw.master_key)
    warnings = [r.getMessage() for r in caplog.records if r.name == "deltallm.limits"]
    assert any("shared counters unreachable" in w for w in warnings)
    outage = "deltallm_redis_outage_admissions_total"
    assert metrics.value(outage, outcome="served_uncounted") == 3
    assert metrics.value(outage, outcome="refused") == 0
    assert metrics.value("deltallm_redis_failures_total") >= 3
    ok = {"model_group": "chat", "deployment": "chat-0", "status": "200"}
    assert metrics.value("deltallm_requests_total", **ok) == 3
