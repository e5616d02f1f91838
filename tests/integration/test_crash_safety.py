"""An instance killed mid-load loses no spend record: another instance drains its stream."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func
from sqlmodel import col, select

from app.db.engine import create_engine, session_factory
from app.spend.models import SpendLog
from tests.support.db import fresh_database
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.skipif(
    not (
        os.environ.get("DELTALLM_TEST_REDIS_URL") and os.environ.get("DELTALLM_TEST_DATABASE_URL")
    ),
    reason="crash safety needs the durable queue (Redis) and a shared database (PostgreSQL)",
)
MASTER = "sk-crash-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def start(
    tmp: Path, name: str, config: dict[str, Any], database_url: str
) -> tuple[subprocess.Popen[bytes], str]:
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ["DELTALLM_TEST_REDIS_URL"],
        "DELTALLM_MASTER_KEY": MASTER,
        "DELTALLM_DATA_DIR": str(tmp / name),
        "DELTALLM_RUN_MIGRATIONS": "0",
    }
    with (tmp / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - starting a process does not block
            [
                sys.executable,
                "-m",
                "app.cli.main",
                "serve",
                "--config",
                str(path),
                "--port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    root = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                if (await http.get(f"{root}/health/liveliness")).status_code == 200:
                    return process, root
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError((tmp / f"{name}.log").read_text())


async def test_killed_instance_loses_no_spend_record(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    namespace = f"crash-{uuid.uuid4().hex[:12]}"

    def config(interval: float) -> dict[str, Any]:
        return {
            "model_list": [
                {
                    "model_name": "m",
                    "deltallm_params": {
                        "model": "openai/m",
                        "api_base": fake_openai.base_url,
                        "input_cost_per_token": "0.001",
                        "output_cost_per_token": "0.001",
                    },
                }
            ],
            "general_settings": {
                "proxy_batch_write_at": interval,
                "spend_claim_idle": 1,
                "redis_namespace": namespace,
            },
        }

    async with fresh_database() as url:
        # The first instance batches for a long time, so its records sit in the stream.
        first, root = await start(tmp_path, "first", config(60), url)
        answered = 0
        try:
            async with httpx.AsyncClient(timeout=30) as http:

                async def call() -> bool:
                    response = await http.post(
                        f"{root}/v1/chat/completions",
                        headers={"Authorization": f"Bearer {MASTER}"},
                        json={"model": "m", "messages": [{"role": "user", "content": "Hi"}]},
                    )
                    return response.status_code == 200

                for _ in range(4):
                    answered += sum(await asyncio.gather(*(call() for _ in range(25))))
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert answered == 100
        second, _ = await start(tmp_path, "second", config(0.2), url)
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            deadline = time.monotonic() + 30
            while True:
                async with sessions() as session:
                    count, total = (
                        await session.exec(
                            select(
                                func.count(col(SpendLog.id)),
                                func.coalesce(func.sum(SpendLog.cost), 0),
                            )
                        )
                    ).one()
                if count == answered or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert count == answered
            assert Decimal(total) == Decimal("1.2")  # 100 calls x $0.012, none counted twice
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
            await engine.dispose()
