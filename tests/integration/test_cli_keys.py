"""``deltallm keys`` and ``deltallm spend`` as scripts use them: real processes, one database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

DELTALLM = [sys.executable, "-m", "app.cli.main"]


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
