"""SIGTERM drains: no new connections, open streams finish or end at the deadline, spend is
written before the process exits with status 0."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
import yaml
from sqlmodel import select

from app.db.engine import create_engine, session_factory
from app.spend.models import SpendLog
from tests.support.db import fresh_database
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import running_gateway
from tests.support.process import ServedProcess, serve_process

_SHARED = bool(
    os.environ.get("DELTALLM_TEST_DATABASE_URL") and os.environ.get("DELTALLM_TEST_REDIS_URL")
)
BACKENDS = [
    pytest.param("embedded", id="sqlite"),
    pytest.param(
        "shared",
        id="postgres-redis",
        marks=[
            pytest.mark.postgres,
            pytest.mark.redis,
            pytest.mark.skipif(
                not _SHARED, reason="needs DELTALLM_TEST_DATABASE_URL and _REDIS_URL"
            ),
        ],
    ),
]


def _config(fake: FakeOpenAI, deadline: float) -> str:
    return yaml.safe_dump(
        {
            "model_list": [
                {
                    "model_name": "m",
                    "deltallm_params": {
                        "model": "openai/m",
                        "api_base": fake.base_url,
                        "input_cost_per_token": "0.001",
                        "output_cost_per_token": "0.001",
                    },
                }
            ],
            "general_settings": {
                "graceful_shutdown_timeout": deadline,
                # Only the flush at shutdown writes the spend record.
                "proxy_batch_write_at": 120,
                "allow_private_upstreams": True,
                "redis_namespace": f"drain-{os.getpid()}-{time.monotonic_ns()}",
            },
        }
    )


@contextlib.asynccontextmanager
async def _gateway(
    tmp_path: Path, backend: str, fake: FakeOpenAI, deadline: float
) -> AsyncIterator[tuple[ServedProcess, str]]:
    """A served process and the URL of its database."""
    if backend == "embedded":
        with serve_process(tmp_path, _config(fake, deadline)) as served:
            yield served, f"sqlite+aiosqlite:///{served.data_dir / 'deltallm.db'}"
        return
    async with fresh_database() as url:
        env = {
            "DATABASE_URL": url,
            "REDIS_URL": os.environ["DELTALLM_TEST_REDIS_URL"],
            "DELTALLM_RUN_MIGRATIONS": "0",
        }
        with serve_process(tmp_path, _config(fake, deadline), env) as served:
            yield served, url


async def _spend_log(url: str, request_id: str) -> SpendLog | None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            query = select(SpendLog).where(SpendLog.request_id == request_id)
            return (await session.exec(query)).one_or_none()
    finally:
        await engine.dispose()


def _client(served: ServedProcess) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"{served.root}/v1", api_key=served.master_key, max_retries=0, timeout=60
    )


@contextlib.asynccontextmanager
async def _spend_logs(url: str) -> AsyncIterator[list[SpendLog]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            yield list((await session.exec(select(SpendLog))).all())
    finally:
        await engine.dispose()


async def _open_stream(client: openai.AsyncOpenAI) -> tuple[str, Any]:
    raw = await client.chat.completions.with_raw_response.create(
        model="m",
        messages=[{"role": "user", "content": "Tell me a long story"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    return raw.headers["x-request-id"], raw.parse()


def _wait_exit(served: ServedProcess, within: float) -> int:
    try:
        return served.process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        raise AssertionError(served.log_path.read_text()) from None


async def _turned_away(root: str) -> str:
    """Readiness after SIGTERM: 503 ``draining`` or a refused connection (the listening
    socket closes at once); polled until it stops answering ready."""
    deadline = time.monotonic() + 10
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            try:
                response = await http.get(f"{root}/health/readiness")
            except httpx.ConnectError:
                return "refused"
            if response.status_code == 503:
                assert response.json()["status"] == "draining"
                return "draining"
            assert response.status_code == 200
    raise AssertionError("readiness still answers ready 10 s after SIGTERM")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigterm_lets_an_open_stream_finish(
    tmp_path: Path, fake_openai: FakeOpenAI, backend: str
) -> None:
    words = [f"w{i}" for i in range(30)]
    fake_openai.reply = " ".join(words)
    fake_openai.chunk_delay = 0.1  # about three seconds of stream
    async with _gateway(tmp_path, backend, fake_openai, deadline=20) as (served, url):
        text, usage = "", None
        async with _client(served) as client:
            request_id, stream = await _open_stream(client)
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    if not text:
                        served.process.send_signal(signal.SIGTERM)
                        signalled = time.monotonic()
                        assert await _turned_away(served.root) in ("refused", "draining")
                    text += chunk.choices[0].delta.content
                usage = chunk.usage or usage
        assert text == fake_openai.reply  # every chunk arrived after SIGTERM
        assert usage is not None and usage.completion_tokens == len(words)
        assert _wait_exit(served, 20) == 0
        assert time.monotonic() - signalled < 20
        log = await _spend_log(url, request_id)
    assert log is not None, "the stream's spend record was not written at shutdown"
    assert (log.status, log.status_code) == ("ok", 200)
    assert (log.prompt_tokens, log.completion_tokens) == (9, len(words))
    assert log.cost > 0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_stream_past_the_deadline_ends_and_is_settled(
    tmp_path: Path, fake_openai: FakeOpenAI, backend: str
) -> None:
    fake_openai.reply = " ".join(f"w{i}" for i in range(600))
    fake_openai.chunk_delay = 0.05  # thirty seconds of stream, far past the deadline
    async with _gateway(tmp_path, backend, fake_openai, deadline=1) as (served, url):
        received = 0
        async with _client(served) as client:
            request_id, stream = await _open_stream(client)
            with pytest.raises(openai.APIError) as ended:
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        received += 1
                        if received == 3:
                            served.process.send_signal(signal.SIGTERM)
                            signalled = time.monotonic()
            await stream.close()
        assert "shutting down" in str(ended.value)
        assert time.monotonic() - signalled < 10
        assert 3 <= received < 600
        assert _wait_exit(served, 15) == 0
        log = await _spend_log(url, request_id)
    assert log is not None, "the cut stream's spend record was not written at shutdown"
    assert (log.status, log.status_code) == ("error", 503)
    # Settled for what was relayed (an estimate: the upstream never sent its usage).
    assert received <= log.completion_tokens < 600
    assert log.cost > 0


async def test_a_messages_stream_past_the_deadline_ends_with_an_error_event(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = " ".join(f"w{i}" for i in range(600))
    fake_openai.chunk_delay = 0.05
    async with _gateway(tmp_path, "embedded", fake_openai, deadline=1) as (served, url):
        received = 0
        async with anthropic.AsyncAnthropic(
            base_url=served.root, api_key=served.master_key, max_retries=0, timeout=60
        ) as sdk:
            raw = await sdk.messages.with_raw_response.create(
                model="m",
                max_tokens=1000,
                messages=[{"role": "user", "content": "Tell me a long story"}],
                stream=True,
            )
            request_id = raw.headers["x-request-id"]
            with pytest.raises(anthropic.APIStatusError) as ended:
                async for event in await raw.parse():
                    if event.type == "content_block_delta":
                        received += 1
                        if received == 3:
                            served.process.send_signal(signal.SIGTERM)
        assert "shutting down" in str(ended.value)
        assert 3 <= received < 600
        assert _wait_exit(served, 15) == 0
        log = await _spend_log(url, request_id)
    assert log is not None, "the cut stream's spend record was not written at shutdown"
    assert (log.status, log.status_code, log.call_type) == ("error", 503, "messages")


async def test_readiness_says_draining_once_shutdown_begins() -> None:
    async with running_gateway({"model_list": []}) as gateway, httpx.AsyncClient() as http:
        assert (await http.get(f"{gateway.root}/health/readiness")).status_code == 200
        gateway.runtime.drain.begin()
        response = await http.get(f"{gateway.root}/health/readiness")
    assert response.status_code == 503
    assert response.json() == {"status": "draining"}


async def test_a_stalled_stream_is_cut_at_the_hard_stop_and_settled(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "first second third"
    fake_openai.chunk_delay = 8  # the upstream goes quiet after its first word
    async with _gateway(tmp_path, "embedded", fake_openai, deadline=1) as (served, url):
        async with _client(served) as client:
            request_id, stream = await _open_stream(client)
            with pytest.raises((openai.APIError, httpx.TransportError)):
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        served.process.send_signal(signal.SIGTERM)
                        signalled = time.monotonic()
            await stream.close()
        assert time.monotonic() - signalled < 10  # the deadline, the grace, no hang
        assert _wait_exit(served, 15) == 0
        log = await _spend_log(url, request_id)
    assert log is not None, "the cut stream's spend record was not written at shutdown"
    assert log.completion_tokens >= 1
    assert (log.status, log.status_code) == ("cancelled", 499), (log.status, log.status_code)


async def test_a_call_unanswered_at_the_hard_stop_gets_a_503(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.delay = 8  # the upstream answers long after the deadline
    async with _gateway(tmp_path, "embedded", fake_openai, deadline=1) as (served, url):
        async with _client(served) as client:
            call = asyncio.create_task(
                client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "Hi"}]
                )
            )
            for _ in range(500):
                if fake_openai.requests or call.done():
                    break
                await asyncio.sleep(0.01)
            assert fake_openai.requests, "the call never reached the upstream"
            served.process.send_signal(signal.SIGTERM)
            with pytest.raises(openai.InternalServerError) as cut:
                await asyncio.wait_for(call, 10)
        assert cut.value.status_code == 503
        assert cut.value.code == "shutting_down"
        assert _wait_exit(served, 15) == 0
        async with _spend_logs(url) as logs:
            assert len(logs) == 1
