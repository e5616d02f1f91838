"""``deltallm serve`` as a real process on a free loopback port, as the quick start runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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
    tmp_path: Path, config: str | None = None, env: dict[str, str] | None = None
) -> Iterator[ServedProcess]:
    """The embedded default (SQLite, in-process state); ``config`` is a config.yaml text,
    ``env`` adds variables (``DATABASE_URL``, ``REDIS_URL``) to that default."""
    port = free_port()
    environ = {**os.environ, "DELTALLM_DATA_DIR": str(tmp_path / "data")}
    for name in ("DATABASE_URL", "REDIS_URL", "DELTALLM_MASTER_KEY", "DELTALLM_CONFIG_PATH"):
        environ.pop(name, None)
    environ.update(env or {})
    args = [*DELTALLM, "serve", "--port", str(port)]
    if config is not None:
        (tmp_path / "config.yaml").write_text(config)
        args += ["--config", str(tmp_path / "config.yaml")]
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(args, env=environ, stdout=log, stderr=subprocess.STDOUT)
    served = ServedProcess(f"http://127.0.0.1:{port}", tmp_path / "data", log_path, process)
    try:
        deadline = time.monotonic() + 30
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
