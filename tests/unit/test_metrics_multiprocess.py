"""Multiprocess metrics: a worker that died without stopping leaves its counters counted
but its live gauges out of the aggregate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.scrape import parse_scrape

_WORKER = """
from pathlib import Path
import sys
from app.observability.metrics import Metrics
from app.observability.settings import MetricsSettings
metrics = Metrics(MetricsSettings(), Path(sys.argv[1]))
if sys.argv[2] == "work":
    metrics.refused(401)
    metrics.queue_depth().set(7)
else:
    sys.stdout.write(metrics.render().decode())
"""


def _run(directory: Path, action: str) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, str(directory), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_a_dead_workers_counters_stay_and_its_live_gauges_go(tmp_path: Path) -> None:
    _run(tmp_path, "work")  # exits without marking itself dead, as a crash would
    _run(tmp_path, "work")
    scraped = parse_scrape(_run(tmp_path, "scrape"))
    labels = {"model_group": "none", "deployment": "none", "status": "401"}
    assert scraped.value("deltallm_requests_total", **labels) == 2
    assert scraped.value("deltallm_spend_queue_depth") == 0
