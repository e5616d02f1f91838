"""``deltallm serve --workers 2``: one scrape of either worker counts every worker's calls,
and the directory the workers share their metrics in is removed at exit."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from tests.support.process import serve_process
from tests.support.scrape import scrape_process

REDIS_URL = os.environ.get("DELTALLM_TEST_REDIS_URL")
HI = [{"role": "user", "content": "Hi"}]


def _config() -> str:
    namespace = f"test-metrics-{uuid.uuid4().hex[:12]}"
    return f"""
model_list:
  - model_name: demo
    deltallm_params:
      model: demo/echo
general_settings:
  redis_namespace: {namespace}
"""


def _call(client: openai.OpenAI) -> str:
    """One call; returns the request-id prefix of the worker that answered it."""
    raw = client.chat.completions.with_raw_response.create(model="demo", messages=HI)
    return raw.headers["x-request-id"][:16]


@pytest.mark.redis
@pytest.mark.timeout(420)
def test_one_scrape_counts_the_calls_of_every_worker(tmp_path: Path) -> None:
    if not REDIS_URL:
        pytest.skip("DELTALLM_TEST_REDIS_URL is not set; e.g. redis://127.0.0.1:6379/0")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"REDIS_URL": REDIS_URL, "TMPDIR": str(temp)}
    args = ["--workers", "2"]
    # Two workers start slower than one on a busy machine: give them time.
    with serve_process(
        tmp_path, _config(), extra_args=args, env=env, startup_timeout=120
    ) as served:
        key = served.master_key
        # A connection per call (so the kernel may hand each to either worker), in
        # concurrent bursts: while one worker is busy the other accepts the next one.
        client = openai.OpenAI(
            base_url=f"{served.root}/v1",
            api_key=key,
            max_retries=0,
            timeout=30,
            default_headers={"Connection": "close"},
        )
        workers: set[str] = set()
        calls = 0
        deadline = time.monotonic() + 120
        with client, ThreadPoolExecutor(max_workers=8) as pool:
            while (calls < 24 or len(workers) < 2) and time.monotonic() < deadline:
                workers.update(pool.map(lambda _: _call(client), range(8)))
                calls += 8
        assert len(workers) == 2, "every call went to one worker"
        ok = {"model_group": "demo", "deployment": "demo-0", "status": "200"}
        # Each scrape may be answered by either worker: every one sees the same total.
        for _ in range(6):
            metrics = scrape_process(served.root, key)
            assert metrics.value("deltallm_requests_total", **ok) == calls
            assert metrics.value("deltallm_request_duration_seconds_count", model_group="demo") == (
                calls
            )
        assert list(temp.glob("deltallm-metrics-*/*.db")), "the workers share no directory"
    assert not list(temp.glob("deltallm-metrics-*")), "the metrics directory outlived serve"
