"""Child processes (mock upstream, gateway), CPU pinning and /proc readings.

Children get ``PR_SET_PDEATHSIG`` so that they die with the benchmark even if it is killed
outright; the benchmark still terminates (then kills) them in ``finally`` on every exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

__all__ = [
    "GatewayNotReadyError",
    "Sampler",
    "background_pct",
    "cpu_ms",
    "free_port",
    "git_commit",
    "machine_busy_ms",
    "peak_rss_mb",
    "pin",
    "sampler",
    "start_gateway",
    "start_mock",
    "stop",
    "tail",
    "wait_healthy",
]

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1
START_TIMEOUT = 120.0


class GatewayNotReadyError(RuntimeError):
    """The gateway exited or did not answer its liveness probe in time."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _thread_ids(pid: int) -> list[int]:
    try:
        return [int(name) for name in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return [pid]


def pin(pid: int, cpus: set[int]) -> None:
    """Pin every thread of ``pid`` (0: this process) to ``cpus``; new threads inherit it."""
    real = os.getpid() if pid == 0 else pid
    for tid in _thread_ids(real):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(tid, cpus)


def _child_setup(cpus: set[int] | None) -> Callable[[], None]:
    def setup() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if cpus is not None:
            os.sched_setaffinity(0, cpus)

    return setup


def cpu_ms(pid: int) -> float:
    """utime + stime of the whole process (all threads), in milliseconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / _CLK_TCK


def machine_busy_ms() -> float:
    """CPU time all processes on the machine have used (every CPU), in milliseconds."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) * 1000.0 / _CLK_TCK


def background_pct(pids: list[int], seconds: float = 1.0) -> float:
    """Percent of one CPU that processes other than ``pids`` use, over ``seconds``."""
    machine, ours = machine_busy_ms(), sum(cpu_ms(pid) for pid in pids)
    time.sleep(seconds)
    machine = machine_busy_ms() - machine
    ours = sum(cpu_ms(pid) for pid in pids) - ours
    return max(0.0, (machine - ours) / (seconds * 10.0))


Sampler = Callable[[], dict[str, float]]


def sampler(watched: dict[str, int], machine: bool = True) -> Sampler:
    """CPU ms of each watched process, plus ``machine``: what every process has used."""

    def sample() -> dict[str, float]:
        total = {"machine": machine_busy_ms()} if machine else {}
        return total | {name: cpu_ms(pid) for name, pid in watched.items()}

    return sample


def git_commit(root: Path) -> str | None:
    """The checked-out commit, for the record (read-only)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (the peak resident set) in MB, or None if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def start_mock(cpus: set[int] | None) -> tuple[subprocess.Popen[bytes], int]:
    """The mock upstream on a free port: (process, port)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.mock_upstream", "--port", "0"],
        stdout=subprocess.PIPE,
        preexec_fn=_child_setup(cpus),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("PORT "):
        stop(proc)
        raise RuntimeError(f"the mock upstream did not start (said {line!r})")
    return proc, int(line.split()[1])


def _write_config(
    tmp: Path,
    mock_port: int,
    model: str,
    general: dict[str, object] | None = None,
    extra: dict[str, object] | None = None,
) -> Path:
    params = {
        "model": "openai/mock",
        "api_base": f"http://127.0.0.1:{mock_port}/v1",
        "api_key": "sk-mock",
        "input_cost_per_token": "0.0000025",
        "output_cost_per_token": "0.00001",
    }
    path = tmp / "config.yaml"
    config: dict[str, object] = {"model_list": [{"model_name": model, "deltallm_params": params}]}
    if general:
        config["general_settings"] = general
    config.update(extra or {})
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_gateway(
    tmp: Path,
    mock_port: int,
    model: str,
    master_key: str,
    cpus: set[int] | None,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    general: dict[str, object] | None = None,
    extra: dict[str, object] | None = None,
) -> tuple[subprocess.Popen[bytes], str, float]:
    """``deltallm serve`` as a user would run it, until live: (process, root URL, seconds)."""
    deltallm = shutil.which("deltallm") or str(Path(sys.executable).with_name("deltallm"))
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    config = _write_config(tmp, mock_port, model, general, extra)
    env = {
        **os.environ,
        "DELTALLM_DATA_DIR": str(tmp / "data"),
        "DELTALLM_MASTER_KEY": master_key,
        "DELTALLM_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    log = tmp / "gateway.log"
    serve = ["serve", "--config", str(config), "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [deltallm, *serve],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_setup(cpus),
        )
    try:
        took = wait_healthy(f"{root}/health/liveliness", proc, START_TIMEOUT)
    except GatewayNotReadyError as exc:
        stop(proc)
        raise GatewayNotReadyError(f"{exc}\n--- gateway log ---\n{tail(log)}") from None
    if cpus is not None:
        pin(proc.pid, cpus)  # any thread started before the pin took effect
    return proc, root, took


def create_virtual_key(tmp: Path, master_key: str, extra_env: dict[str, str] | None = None) -> str:
    """A virtual key with limits and a budget high enough never to refuse: the realistic
    request path (lookup, admission, settlement, spend log) without changing the outcome."""
    deltallm = shutil.which("deltallm") or str(Path(sys.executable).with_name("deltallm"))
    env = {
        **os.environ,
        "DELTALLM_DATA_DIR": str(tmp / "data"),
        "DELTALLM_MASTER_KEY": master_key,
        **(extra_env or {}),
    }
    args = [
        "keys",
        "create",
        "--alias",
        "bench",
        "--rpm",
        "1000000000",
        "--tpm",
        "1000000000000",
        "--max-budget",
        "10000000",
        "--json",
    ]
    done = subprocess.run(
        [deltallm, *args, "--config", str(tmp / "config.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key: str = json.loads(done.stdout)["key"]
    return key


def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> float:
    """Poll ``url`` until it answers 200; returns the seconds it took."""
    start = time.monotonic()
    last = "no answer yet"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise GatewayNotReadyError(f"the gateway exited with code {proc.returncode}")
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise GatewayNotReadyError(f"{url} did not answer 200 within {timeout:g}s ({last})")


def stop(proc: subprocess.Popen[bytes] | None, grace: float = 10.0) -> None:
    """Terminate, then kill if it has not exited after ``grace`` seconds."""
    if proc is None:
        return
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
