"""The ``deltallm`` command as a user runs it: a real process, real port, the OpenAI SDK."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.support.process import DELTALLM, serve_process


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DELTALLM, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_check_config_ok(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("model_list:\n  - model_name: a\n    litellm_params: {model: demo/echo}\n")
    result = run("check-config", str(path))
    assert result.returncode == 0, result.stderr
    assert "OK (1 deployments in 1 model groups)" in result.stdout


def test_check_config_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "model_list:\n"
        "  - model_name: a\n    deltallm_params: {model: foo/bar}\n"
        "  - model_name: b\n    deltallm_params: {model: openai/x, timeout: -1}\n"
    )
    result = run("check-config", str(path))
    assert result.returncode == 1
    assert "2 problem(s)" in result.stderr
    assert 'model_list[0].deltallm_params.model: unknown provider "foo"' in result.stderr
    assert "model_list[1].deltallm_params.timeout:" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_bad_config_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("router_settings: {num_retries: many}\n")
    result = run("serve", "--config", str(path), env={"DELTALLM_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "router_settings.num_retries:" in result.stderr
    assert "Traceback" not in result.stderr


def test_several_workers_need_redis(tmp_path: Path) -> None:
    env = {"DELTALLM_DATA_DIR": str(tmp_path), "REDIS_URL": ""}
    result = run("serve", "--workers", "2", env=env)
    assert result.returncode == 2
    assert "needs REDIS_URL" in result.stderr


def test_bad_arguments_exit_non_zero() -> None:
    result = run("serve", "--workers", "0")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``deltallm serve`` on the embedded default, as the quick start runs it."""
    with serve_process(tmp_path) as process:
        yield process.root, process.data_dir


def test_quick_start_serves_the_demo_model(served: tuple[str, Path]) -> None:
    root, data_dir = served
    key = (data_dir / "master_key").read_text().strip()
    client = openai.OpenAI(base_url=f"{root}/v1", api_key=key, max_retries=0)
    reply = client.chat.completions.create(
        model="demo", messages=[{"role": "user", "content": "Hello gateway"}]
    )
    assert reply.choices[0].message.content == "You said: Hello gateway"
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    stream = client.chat.completions.create(
        model="demo",
        messages=[{"role": "user", "content": "one two"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "You said: one two"
    )
    assert chunks[-1].usage is not None
    vectors = client.embeddings.create(model="demo-embedding", input=["a", "b"])
    assert len(vectors.data) == 2 and len(vectors.data[0].embedding) == 64
    assert [m.id for m in client.models.list()] == ["demo", "demo-embedding"]
    ready = httpx.get(f"{root}/health/readiness")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert (data_dir / "deltallm.db").exists()
