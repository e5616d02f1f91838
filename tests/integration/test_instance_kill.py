"""Two instances on one PostgreSQL and one Redis under mixed load; one is SIGKILLed midway.

The survivor answers every call it receives with a 2xx or an intended 4xx (never a 5xx),
and every call whose answer reached its client completely has exactly one spend record,
including those the killed instance answered and had not yet written.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import redis.asyncio as aioredis
import yaml
from sqlmodel import col, select

from app.db.engine import create_engine, session_factory
from app.spend.models import SpendLog
from tests.support.db import fresh_database
from tests.support.fake_openai import FakeOpenAI
from tests.support.process import ServedProcess, serve_process

REDIS_URL = os.environ.get("DELTALLM_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (REDIS_URL and os.environ.get("DELTALLM_TEST_DATABASE_URL")),
        reason="needs a shared database (PostgreSQL) and the durable queue (Redis)",
    ),
]
MASTER = "sk-instance-kill-master"
CALLS = 400
CONCURRENCY = 8
INTENDED = {200, 401, 429}  # answered, revoked or rotated key, limit


@dataclass
class Load:
    """What the clients saw, by instance."""

    statuses: dict[str, Counter[int]] = field(
        default_factory=lambda: {"a": Counter(), "b": Counter()}
    )
    connection_errors: Counter[str] = field(default_factory=Counter)
    broken_streams: Counter[str] = field(default_factory=Counter)
    answered: dict[str, str] = field(default_factory=dict)  # complete answers: id -> how
    done: int = 0
    killed: bool = False


@dataclass
class Keys:
    live: dict[str, str] = field(default_factory=dict)  # key id -> secret
    dead: list[str] = field(default_factory=list)  # revoked or rotated secrets

    def pick(self, rng: random.Random) -> str:
        if self.dead and rng.random() < 0.15:
            return rng.choice(self.dead)
        return rng.choice(list(self.live.values()))


def _config(fake: FakeOpenAI, namespace: str) -> str:
    return yaml.safe_dump(
        {
            "model_list": [
                {
                    "model_name": "m",
                    "deltallm_params": {
                        "model": "openai/m",
                        "api_base": fake.base_url,
                        "input_cost_per_token": "0.000001",
                        "output_cost_per_token": "0.000002",
                    },
                }
            ],
            "general_settings": {
                "proxy_batch_write_at": 0.5,
                "spend_claim_idle": 1,
                "redis_namespace": namespace,
                "allow_private_upstreams": True,
            },
        }
    )


@contextlib.contextmanager
def _instances(tmp_path: Path, config: str, url: str) -> Iterator[tuple[ServedProcess, ...]]:
    assert REDIS_URL is not None
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "DELTALLM_MASTER_KEY": MASTER,
        "DELTALLM_SALT_KEY": "instance-kill-salt",
        "DELTALLM_RUN_MIGRATIONS": "0",
    }
    with contextlib.ExitStack() as stack:
        served = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            served.append(stack.enter_context(serve_process(tmp_path / name, config, env)))
        yield tuple(served)


async def _graphql(http: httpx.AsyncClient, root: str, query: str, **variables: Any) -> Any:
    response = await http.post(
        f"{root}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {MASTER}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


CREATE_KEY = """mutation($t: ID!) { createKey(input: {teamId: $t, models: ["m"]}) {
    key { id } secret errors { code } } }"""
REGENERATE = """mutation($k: ID!) { regenerateKey(keyId: $k, graceSeconds: 0) {
    key { id } secret errors { code } } }"""
REVOKE = """mutation($k: ID!) { revokeKey(keyId: $k) { id } }"""
UPDATE_TEAM = """mutation($t: ID!, $b: Decimal!) { updateTeam(teamId: $t,
    limits: {maxBudget: $b}) { errors { code } } }"""


async def _setup(http: httpx.AsyncClient, root: str, keys: Keys) -> str:
    org = await _graphql(
        http,
        root,
        """mutation { createOrganization(name: "Load") { organization { id } } }""",
    )
    team = await _graphql(
        http,
        root,
        """mutation($o: ID!) { createTeam(input: {orgId: $o, name: "load",
            limits: {maxBudget: "1000"}}) { team { id } } }""",
        o=org["createOrganization"]["organization"]["id"],
    )
    team_id: str = team["createTeam"]["team"]["id"]
    for _ in range(4):
        created = (await _graphql(http, root, CREATE_KEY, t=team_id))["createKey"]
        keys.live[created["key"]["id"]] = created["secret"]
    return team_id


async def _churn(
    http: httpx.AsyncClient, roots: dict[str, str], keys: Keys, team: str, load: Load
) -> int:
    """Create, rotate and revoke keys and change the team's budget while the load runs."""
    rng, mutations = random.Random(7), 0
    while load.done < CALLS:
        root = roots["b"] if load.killed or mutations % 2 else roots["a"]
        action = rng.choice(["create", "regenerate", "revoke", "budget"])
        if len(keys.live) <= 3:
            action = "create"
        key_id = rng.choice(list(keys.live))
        try:
            if action == "create":
                created = (await _graphql(http, root, CREATE_KEY, t=team))["createKey"]
                keys.live[created["key"]["id"]] = created["secret"]
            elif action == "regenerate":
                old = keys.live.pop(key_id)
                keys.dead.append(old)
                rotated = (await _graphql(http, root, REGENERATE, k=key_id))["regenerateKey"]
                keys.live[key_id] = rotated["secret"]
            elif action == "revoke":
                keys.dead.append(keys.live.pop(key_id))
                await _graphql(http, root, REVOKE, k=key_id)
            else:
                budget = str(rng.randint(500, 2000))
                await _graphql(http, root, UPDATE_TEAM, t=team, b=budget)
            mutations += 1
        except httpx.TransportError:
            assert root == roots["a"], "the surviving instance refused a mutation"
        await asyncio.sleep(0.1)
    return mutations


async def _call(client: openai.AsyncOpenAI, instance: str, stream: bool, load: Load) -> None:
    messages = [{"role": "user", "content": "Hi"}]
    try:
        if not stream:
            raw = await client.chat.completions.with_raw_response.create(
                model="m", messages=messages
            )
            raw.parse()
        else:
            raw = await client.chat.completions.with_raw_response.create(
                model="m", messages=messages, stream=True, stream_options={"include_usage": True}
            )
            async with raw.parse() as chunks:
                async for _ in chunks:
                    pass
    except openai.APIStatusError as exc:
        load.statuses[instance][exc.status_code] += 1
        return
    except openai.APIConnectionError:
        load.connection_errors[instance] += 1
        return
    except (openai.APIError, httpx.TransportError):
        # A stream cut off after its headers: the instance died during it.
        load.broken_streams[instance] += 1
        return
    load.statuses[instance][raw.status_code] += 1
    load.answered[raw.headers["x-request-id"]] = f"{instance} {'stream' if stream else 'call'}"


async def _run_load(
    clients: dict[str, openai.AsyncOpenAI], keys: Keys, load: Load, a: ServedProcess
) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(CALLS):
        queue.put_nowait(n)

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        while not queue.empty():
            n = queue.get_nowait()
            instance = "ab"[n % 2]
            client = clients[instance].with_options(api_key=keys.pick(rng))
            await _call(client, instance, stream=n % 3 == 0, load=load)
            load.done += 1
            if load.done >= CALLS // 2 and not load.killed:
                load.killed = True
                a.process.send_signal(signal.SIGKILL)

    await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))


async def _settled(url: str, answered: Collection[str]) -> Counter[str]:
    """Spend rows per answered request id, once every one has its row or 30 s have passed."""
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        deadline = time.monotonic() + 30
        while True:
            async with sessions() as session:
                rows = Counter(
                    (
                        await session.exec(
                            select(SpendLog.request_id).where(
                                col(SpendLog.request_id).in_(list(answered))
                            )
                        )
                    ).all()
                )
            if len(rows) == len(answered) or time.monotonic() > deadline:
                return rows
            await asyncio.sleep(0.3)
    finally:
        await engine.dispose()


async def _pending(redis: aioredis.Redis, stream: str) -> int:
    """Entries read but not written, once none are left or 20 s have passed."""
    deadline = time.monotonic() + 20
    while True:
        pending = int((await redis.xpending(stream, "writers"))["pending"])
        if pending == 0 or time.monotonic() > deadline:
            return pending
        await asyncio.sleep(0.3)


async def test_killing_one_instance_loses_no_spend_and_the_other_keeps_answering(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "one two three four five six"
    fake_openai.chunk_delay = 0.01
    namespace = f"kill-{uuid.uuid4().hex[:12]}"
    load, keys = Load(), Keys()
    async with fresh_database() as url:
        with _instances(tmp_path, _config(fake_openai, namespace), url) as (a, b):
            roots = {"a": a.root, "b": b.root}
            async with httpx.AsyncClient(timeout=30) as http:
                team = await _setup(http, b.root, keys)
                clients = {
                    name: openai.AsyncOpenAI(
                        base_url=f"{root}/v1", api_key=MASTER, max_retries=0, timeout=30
                    )
                    for name, root in roots.items()
                }
                try:
                    churn = asyncio.create_task(_churn(http, roots, keys, team, load))
                    await asyncio.wait_for(_run_load(clients, keys, load, a), timeout=45)
                    mutations = await asyncio.wait_for(churn, timeout=10)
                finally:
                    for client in clients.values():
                        await client.close()
            assert a.process.wait(timeout=10) == -signal.SIGKILL
            rows = await _settled(url, load.answered)
            assert REDIS_URL is not None
            async with aioredis.Redis.from_url(REDIS_URL) as redis:
                pending = await _pending(redis, f"{namespace}:spend")
        async with aioredis.Redis.from_url(REDIS_URL) as redis:
            await redis.delete(f"{namespace}:spend")
    missing = {rid: how for rid, how in load.answered.items() if rid not in rows}
    summary = (
        f"statuses={load.statuses} connection_errors={load.connection_errors} "
        f"broken_streams={load.broken_streams} answered={len(load.answered)} missing={missing}"
    )
    b_statuses = load.statuses["b"]
    assert set(b_statuses) <= INTENDED, summary  # no 5xx from the survivor
    assert set(load.statuses["a"]) <= INTENDED, summary
    assert load.connection_errors["b"] == load.broken_streams["b"] == 0, summary
    assert b_statuses[200] > CALLS // 4 and b_statuses[401] > 0, summary
    assert load.statuses["a"][200] > 0 and mutations >= 5, summary
    assert not missing, summary  # no answered call without its record
    assert set(rows.values()) == {1}, summary  # and none recorded twice
    assert pending == 0, "the killed instance's unwritten entries were not claimed"
