"""``deltallm keys`` and ``deltallm spend`` as scripts use them: real processes, one database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openai
import pytest

from app.keys.service import KeySpec
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import running_gateway

DELTALLM = [sys.executable, "-m", "app.cli.main"]
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    values = {**os.environ, "DELTALLM_DATA_DIR": str(tmp_path / "data")}
    for name in ("DATABASE_URL", "REDIS_URL", "DELTALLM_CONFIG_PATH"):
        values.pop(name, None)
    yield values


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DELTALLM, *args], capture_output=True, text=True, timeout=60, env=env)


def test_key_lifecycle(env: dict[str, str]) -> None:
    created = run(
        env,
        "keys",
        "create",
        "--alias",
        "ci",
        "--models",
        "demo,demo-embedding",
        "--max-budget",
        "2.50",
        "--budget-duration",
        "1mo",
        "--rpm",
        "60",
        "--expires-in",
        "30d",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["key"].startswith("sk-") and key["id"]
    assert key["models"] == ["demo", "demo-embedding"]
    assert Decimal(key["max_budget"]) == Decimal("2.50")

    listed = json.loads(run(env, "keys", "list", "--json").stdout)
    assert [k["id"] for k in listed] == [key["id"]]
    assert key["key"] not in json.dumps(listed)
    assert listed[0]["key_display"].endswith(key["key"][-4:])

    assert run(env, "keys", "block", key["id"]).returncode == 0
    assert json.loads(run(env, "keys", "list", "--json").stdout)[0]["blocked"] is True
    assert run(env, "keys", "unblock", key["id"]).returncode == 0

    rotated = run(env, "keys", "regenerate", key["id"], "--grace", "1h", "--json")
    assert rotated.returncode == 0, rotated.stderr
    assert json.loads(rotated.stdout)["key"] != key["key"]

    assert run(env, "keys", "revoke", key["id"]).returncode == 0
    assert json.loads(run(env, "keys", "list", "--json").stdout) == []
    assert len(json.loads(run(env, "keys", "list", "--all", "--json").stdout)) == 1

    spend = json.loads(run(env, "spend", "--key", key["id"], "--json").stdout)
    assert (spend["key_id"], Decimal(spend["spend"]), spend["requests"]) == (key["id"], 0, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keys", "create", "--max-budget", "lots"], "--max-budget: not a number"),
        (["keys", "create", "--max-budget", "-1"], "--max-budget: must be"),
        (["keys", "create", "--max-budget", "1e12"], "max_budget must be between"),
        (["keys", "create", "--budget-duration", "fortnight"], "--budget-duration"),
        (["keys", "create", "--team", "no-such-team"], "no team no-such-team"),
        (["keys", "revoke", "no-such-key"], "no key no-such-key"),
        (["keys", "regenerate", "no-such-key", "--grace", "soon"], "--grace"),
    ],
)
def test_bad_arguments_give_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    result = run(env, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error")]) == 1


async def test_spend_splits_requests_into_succeeded_refused_and_failed(
    env: dict[str, str], fake_openai: FakeOpenAI
) -> None:
    price = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
    model = {"model": "openai/gpt-a", "api_base": fake_openai.base_url, **price}
    config = {"model_list": [{"model_name": "gpt-a", "deltallm_params": model}]}
    async with running_gateway(config) as gw:
        served = await gw.runtime.keys.create(KeySpec())
        broke = await gw.runtime.keys.create(KeySpec(max_budget=Decimal(0)))
        async with gw.client(served.secret) as client:
            for _ in range(2):
                await client.chat.completions.create(model="gpt-a", messages=HI)
            fake_openai.fail_next(400, "no such parameter")
            with pytest.raises(openai.BadRequestError):
                await client.chat.completions.create(model="gpt-a", messages=HI)
        async with gw.client(broke.secret) as client:
            for _ in range(2):
                with pytest.raises(openai.RateLimitError):
                    await client.chat.completions.create(model="gpt-a", messages=HI)
        await gw.runtime.gateway.settler.drain()
        await gw.runtime.spend_queue.flush()
        env = {**env, "DATABASE_URL": gw.runtime.settings.database_url.get_secret_value()}

        everything = await asyncio.to_thread(run, env, "spend", "--json")
        assert everything.returncode == 0, everything.stderr
        figures = json.loads(everything.stdout)
        assert Decimal(figures["spend"]) > 0
        counts = [figures[k] for k in ("requests", "succeeded", "refused", "failed")]
        assert counts == [5, 2, 2, 1]

        refused = json.loads(
            (await asyncio.to_thread(run, env, "spend", "--key", broke.key.id, "--json")).stdout
        )
        assert (Decimal(refused["spend"]), refused["requests"], refused["refused"]) == (0, 2, 2)
        assert refused["succeeded"] == refused["failed"] == 0

        text = (await asyncio.to_thread(run, env, "spend", "--key", served.key.id)).stdout
        assert "over 3 requests: 2 succeeded, 0 refused, 1 failed" in text
