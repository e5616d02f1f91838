"""``deltallm serve`` with Redis: the instance's spend writer runs in a process of its own.

The serving worker only appends spend records to the Redis stream; the writer process (a
child of ``serve`` named ``deltallm-spend``) is the instance's only reader of the stream and
writes every record, the last ones included when ``serve`` stops, and it exits with
``serve``, also when ``serve`` is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
import redis.asyncio as aioredis
from sqlmodel import func, select

from app.db.engine import create_engine, session_factory
from app.spend.models import SpendLog
from app.spend.writer_process import NICENESS, PROCESS_NAME
from tests.support.db import fresh_database
from tests.support.process import ServedProcess, serve_process

REDIS_URL = os.environ.get("DELTALLM_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (REDIS_URL and os.environ.get("DELTALLM_TEST_DATABASE_URL")),
        reason="needs PostgreSQL and Redis (the writer process runs only with Redis)",
    ),
]
MASTER = "sk-writer-process-master"
HI = [{"role": "user", "content": "Hi"}]


def _config(namespace: str) -> str:
    return f"""
model_list:
  - model_name: demo
    deltallm_params:
      model: demo/echo
general_settings:
  redis_namespace: {namespace}
  proxy_batch_write_at: 0.5
  spend_claim_idle: 2
"""


def _children(pid: int) -> dict[int, str]:
    """The child processes of ``pid`` and their names."""
    kids: dict[int, str] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):  # a thread or a child that has just ended
            for kid in Path(f"/proc/{pid}/task/{tid}/children").read_text().split():
                kids[int(kid)] = Path(f"/proc/{kid}/comm").read_text().strip()
    return kids


def _writers(served: ServedProcess) -> list[int]:
    kids = _children(served.process.pid)
    return [pid for pid, name in kids.items() if name == PROCESS_NAME]


def _writer_pid(served: ServedProcess) -> int:
    writers = _writers(served)
    assert len(writers) == 1, _children(served.process.pid)
    return writers[0]


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # exited, not yet reaped by its (dead) parent
            return True
        time.sleep(0.05)
    return False


async def _logged(url: str) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return (await session.exec(select(func.count()).select_from(SpendLog))).one()
    finally:
        await engine.dispose()


async def _eventually_logged(url: str, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (seen := await _logged(url)) != count:
        assert time.monotonic() < deadline, f"{seen} spend logs, expected {count}"
        await asyncio.sleep(0.1)


async def _calls(root: str, count: int) -> None:
    async with openai.AsyncOpenAI(base_url=f"{root}/v1", api_key=MASTER, max_retries=0) as client:
        await asyncio.gather(
            *(client.chat.completions.create(model="demo", messages=HI) for _ in range(count))
        )


def _env(url: str) -> dict[str, str]:
    assert REDIS_URL is not None
    return {
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "DELTALLM_MASTER_KEY": MASTER,
        "DELTALLM_RUN_MIGRATIONS": "0",
    }


@dataclass
class Instance:
    served: ServedProcess
    database_url: str
    redis: aioredis.Redis
    stream: str


@pytest.fixture
async def instance(tmp_path: Path) -> AsyncIterator[Instance]:
    """``serve`` on a fresh PostgreSQL database and a Redis namespace of its own."""
    assert REDIS_URL is not None
    namespace = f"writer-{uuid.uuid4().hex[:12]}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        async with fresh_database() as url:
            with serve_process(tmp_path, _config(namespace), _env(url)) as served:
                yield Instance(served, url, redis, f"{namespace}:spend")
    finally:
        await redis.delete(f"{namespace}:spend")
        await redis.aclose()


@pytest.mark.timeout(180)
async def test_the_writer_process_writes_what_the_worker_appends(instance: Instance) -> None:
    served, url = instance.served, instance.database_url
    writer = _writer_pid(served)
    # Below the worker's priority: a call that arrives runs before a batch write.
    serving = os.getpriority(os.PRIO_PROCESS, served.process.pid)
    assert os.getpriority(os.PRIO_PROCESS, writer) == min(19, serving + NICENESS)
    await _calls(served.root, 30)
    await _eventually_logged(url, 30)
    # The writer is the instance's one reader of the stream: the worker only appends and
    # never joined the group.
    consumers = await instance.redis.xinfo_consumers(instance.stream, "writers")
    names = [c["name"] for c in consumers]
    assert len(names) == 1 and f"-{writer}-".encode() in names[0], names
    # Calls answered just before serve stops are written after the worker has drained:
    # serve tells the writer to stop only then.
    await _calls(served.root, 12)
    served.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(served.process.wait, 40) == 0
    assert _gone(writer, 5), "the writer outlived serve"
    assert await _logged(url) == 42
    assert await instance.redis.xlen(instance.stream) == 0


@pytest.mark.timeout(180)
async def test_the_writer_process_exits_when_serve_is_killed(instance: Instance) -> None:
    served = instance.served
    writer = _writer_pid(served)
    await _calls(served.root, 20)
    served.process.send_signal(signal.SIGKILL)
    assert await asyncio.to_thread(served.process.wait, 10) == -signal.SIGKILL
    # It writes what the stream holds, then exits: no orphan keeps a database pool and a
    # consumer of the instance alive.
    assert _gone(writer, 15), "the writer outlived a killed serve"
    await _eventually_logged(instance.database_url, 20)


@pytest.mark.timeout(180)
async def test_a_writer_that_dies_is_started_again(instance: Instance) -> None:
    served = instance.served
    first = _writer_pid(served)
    await _calls(served.root, 10)
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while (pids := _writers(served)) in ([], [first]):
        assert time.monotonic() < deadline, "no writer was started again"
        await asyncio.sleep(0.1)
    assert len(pids) == 1 and pids[0] != first
    # The calls before and after are all written: what the dead writer had read and not
    # acknowledged is claimed once it has been idle long enough (spend_claim_idle).
    await _calls(served.root, 10)
    await _eventually_logged(instance.database_url, 20)
    assert "exited with status -9; starting another" in served.log_path.read_text()
