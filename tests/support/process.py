"""``deltallm serve`` as a real process on a free loopback port, as the quick start runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["DELTALLM", "ServedProcess", "free_port", "serve_process"]

DELTALLM = [sys.executable, "-m", "app.cli.main"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServedProcess:
    root: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def master_key(self) -> str:
        return (self.data_dir / "master_key").read_text().strip()


@contextmanager
def serve_process(
    tmp_path: Path,
    config: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 30,
) -> Iterator[ServedProcess]:
    """The embedded default (SQLite, in-process state); ``config`` is a config.yaml text;
    ``env`` (``REDIS_URL``, say) adds to the environment and ``extra_args`` go to ``serve``."""
    port = free_port()
    environment = {**os.environ, "DELTALLM_DATA_DIR": str(tmp_path / "data")}
    for name in ("DATABASE_URL", "REDIS_URL", "DELTALLM_MASTER_KEY", "DELTALLM_CONFIG_PATH"):
        environment.pop(name, None)
    environment.update(env or {})
    args = [*DELTALLM, "serve", "--port", str(port), *extra_args]
    if config is not None:
        (tmp_path / "config.yaml").write_text(config)
        args += ["--config", str(tmp_path / "config.yaml")]
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(args, env=environment, stdout=log, stderr=subprocess.STDOUT)
    served = ServedProcess(f"http://127.0.0.1:{port}", tmp_path / "data", log_path, process)
    try:
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{served.root}/health/liveliness").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(log_path.read_text())
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=40)
