"""Health endpoints, background health checks, and streams that fail half-way."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

HI = [{"role": "user", "content": "Hi"}]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def config(fake: FakeOpenAI, **router: Any) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "chat",
                "deltallm_params": {"model": "openai/good", "api_base": fake.base_url},
                "model_info": {"id": "good"},
            },
            {
                "model_name": "chat",
                "deltallm_params": {"model": "openai/dead", "api_base": closed_port_url()},
                "model_info": {"id": "dead"},
            },
            {
                "model_name": "vectors",
                "deltallm_params": {"model": "openai/emb", "api_base": fake.base_url},
                "model_info": {"id": "vectors", "mode": "embedding"},
            },
        ],
        "router_settings": {"num_retries": 0, **router},
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(config(fake_openai)) as gw:
        yield gw


async def test_liveness_and_readiness(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        assert (await http.get("/health/liveliness")).json() == {"status": "alive"}
        ready = await http.get("/health/readiness")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    expected_redis = "ok" if os.environ.get("DELTALLM_TEST_REDIS_URL") else "not configured"
    assert body["redis"] == expected_redis


async def test_deployment_health_probes_every_deployment(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        assert (await http.get("/health")).status_code == 401
        response = await http.get(
            "/health", headers={"Authorization": f"Bearer {gateway.master_key}"}
        )
    body = response.json()
    assert {e["id"] for e in body["healthy_endpoints"]} == {"good", "vectors"}
    assert [e["id"] for e in body["unhealthy_endpoints"]] == ["dead"]
    assert "cannot reach the upstream" in body["unhealthy_endpoints"][0]["error"]
    assert "api_key" not in str(body)
    paths = sorted(r.path for r in fake_openai.requests)
    assert paths == ["/v1/chat/completions", "/v1/embeddings"]


async def test_background_checks_take_dead_deployments_out(fake_openai: FakeOpenAI) -> None:
    settings = config(
        fake_openai,
        enable_health_checks=True,
        health_check_interval=0.2,
        routing_strategy="round-robin",
    )
    async with running_gateway(settings) as gw:
        dead = next(d for d in gw.runtime.router.deployments if d.id == "dead")
        for _ in range(50):
            if not dead.healthy:
                break
            await asyncio.sleep(0.05)
        assert dead.healthy is False
        async with gw.client() as client:
            for _ in range(4):
                reply = await client.chat.completions.create(model="chat", messages=HI)
                assert reply.choices[0].message.content == "Hello there!"


async def test_stream_broken_midway_ends_with_an_error_the_sdk_raises(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "one two three four five"
    fake_openai.break_stream_after = 2
    gateway.runtime.router.groups["chat"] = [gateway.runtime.router.deployments[0]]
    received = []
    async with gateway.client() as client:
        stream = await client.chat.completions.create(model="chat", messages=HI, stream=True)
        with pytest.raises(openai.APIError) as caught:
            async for chunk in stream:
                received.append(chunk.choices[0].delta.content)
    assert received == ["one", " two"]
    assert "stream broke" in str(caught.value)
    assert gateway.runtime.router.deployments[0].in_flight == 0


async def test_stream_responses_carry_gateway_headers(gateway: RunningGateway) -> None:
    gateway.runtime.router.groups["chat"] = [gateway.runtime.router.deployments[0]]
    async with gateway.client() as client:
        raw = await client.chat.completions.with_raw_response.create(
            model="chat", messages=HI, stream=True
        )
        assert raw.headers["content-type"].startswith("text/event-stream")
        assert float(raw.headers["x-deltallm-overhead-ms"]) >= 0
        assert raw.headers["x-request-id"]
        chunks = [c async for c in raw.parse()]
    assert chunks
