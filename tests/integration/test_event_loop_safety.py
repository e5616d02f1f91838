"""No small request may stall the gateway: each attack shape, sent anonymously to a running
``deltallm serve``, is refused quickly while other clients are answered meanwhile."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.benchmarks.attacks import ATTACKS, Attack
from tests.support.process import ServedProcess, serve_process

SLOW_DEMO = """
model_list:
  - model_name: demo
    litellm_params: {model: demo/echo}
  - model_name: slow-demo
    litellm_params: {model: demo/echo, stream_delay: 0.2}
general_settings:
  request_head_timeout: 2
  max_connections: 64
"""
REFUSED_WITHIN_S = 5.0
"""Far above the milliseconds a refusal takes; the unbounded walks never answered."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    with serve_process(tmp_path_factory.mktemp("served"), SLOW_DEMO) as process:
        yield process


@dataclass
class Bystander:
    """Calls liveliness and ``/v1`` over and over from a thread while an attack runs."""

    root: str
    key: str
    answered: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        client = openai.OpenAI(base_url=f"{self.root}/v1", api_key=self.key, max_retries=0)
        with httpx.Client(base_url=self.root, timeout=REFUSED_WITHIN_S) as http:
            while not self._stop.is_set():
                try:
                    assert http.get("/health/liveliness").status_code == 200
                    self.answered.append("liveliness")
                    reply = client.with_options(timeout=REFUSED_WITHIN_S).chat.completions.create(
                        model="demo", messages=[{"role": "user", "content": "still here?"}]
                    )
                    assert reply.choices[0].message.content == "You said: still here?"
                    self.answered.append("v1")
                except Exception as exc:  # noqa: BLE001 - every failure is reported
                    self.failures.append(repr(exc))

    def stop(self) -> None:
        self._stop.set()


def _while_others_call(served: ServedProcess, attack: Callable[[], None]) -> Bystander:
    bystander = Bystander(served.root, served.master_key)
    thread = threading.Thread(target=bystander.run)
    thread.start()
    try:
        while "v1" not in bystander.answered and not bystander.failures:
            time.sleep(0.01)
        before = len(bystander.answered)
        attack()
        while len(bystander.answered) < before + 2 and not bystander.failures:
            time.sleep(0.01)
    finally:
        bystander.stop()
        thread.join()
    assert bystander.failures == []
    return bystander


def _send(served: ServedProcess, attack: Attack) -> httpx.Response:
    headers = dict(attack.headers)
    if attack.path.startswith("/v1/"):
        headers["authorization"] = f"Bearer {served.master_key}"
    started = time.monotonic()
    with httpx.Client(base_url=served.root, timeout=REFUSED_WITHIN_S * 2) as http:
        response = http.request(attack.method, attack.path, content=attack.body, headers=headers)
    assert time.monotonic() - started < REFUSED_WITHIN_S, attack.name
    return response


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_an_attack_is_refused_quickly_while_others_are_served(
    served: ServedProcess, attack: Attack
) -> None:
    answers: list[httpx.Response] = []
    _while_others_call(served, lambda: answers.extend(_send(served, attack) for _ in range(5)))
    for response in answers:
        assert response.status_code == attack.status, response.text
        body: dict[str, Any] = response.json()
        if attack.path == "/graphql":
            [error] = body["errors"]
            assert error["extensions"]["code"] == attack.code
            if attack.reason is not None:
                assert error["extensions"]["reason"] == attack.reason
        else:
            assert body["error"]["type"] == "invalid_request_error"
            assert attack.code in body["error"]["message"]


def test_an_oversized_request_head_is_refused(served: ServedProcess) -> None:
    host, port = served.root.removeprefix("http://").split(":")

    def send(header_bytes: int) -> bytes:
        head = f"GET /health/liveliness HTTP/1.1\r\nhost: x\r\nx-big: {'a' * header_bytes}\r\n\r\n"
        with socket.create_connection((host, int(port)), timeout=REFUSED_WITHIN_S) as sock:
            sock.sendall(head.encode())
            return sock.recv(64)

    assert send(30_000).startswith(b"HTTP/1.1 200")
    _while_others_call(
        served, lambda: [send(100_000).startswith(b"HTTP/1.1 431") or None for _ in range(5)]
    )
    assert send(100_000).startswith(b"HTTP/1.1 431 Request Header Fields Too Large")


def _connect(served: ServedProcess) -> socket.socket:
    host, port = served.root.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=REFUSED_WITHIN_S * 2)


def test_a_head_sent_a_byte_at_a_time_is_cut_off(served: ServedProcess) -> None:
    started = time.monotonic()
    with _connect(served) as sock:
        sock.sendall(b"GET /health/liveliness HTTP/1.1\r\nx-slow: ")
        answer = b""
        with contextlib.suppress(OSError):  # the gateway may close while we still send
            while time.monotonic() - started < 3 * REFUSED_WITHIN_S and not answer:
                sock.sendall(b"a")
                sock.settimeout(0.5)
                with contextlib.suppress(TimeoutError):
                    answer = sock.recv(64)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < REFUSED_WITHIN_S  # request_head_timeout is 2 s
    with _connect(served) as idle:  # a connection that says nothing is closed too
        assert idle.recv(64) == b""


def test_connections_beyond_the_cap_are_answered_503(served: ServedProcess) -> None:
    held = [_connect(served) for _ in range(70)]  # max_connections is 64
    try:
        for sock in held:
            sock.sendall(b"GET /health/liveliness HTTP/1.1\r\nhost: x\r\n")
        deadline = time.monotonic() + REFUSED_WITHIN_S  # until the gateway accepted them all
        while httpx.get(f"{served.root}/health/liveliness").status_code != 503:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + REFUSED_WITHIN_S
    while httpx.get(f"{served.root}/health/liveliness").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_legitimate_documents_still_pass(served: ServedProcess) -> None:
    from graphql import get_introspection_query

    headers = {"authorization": f"Bearer {served.master_key}"}
    with httpx.Client(base_url=served.root, headers=headers) as http:
        schema = http.post("/graphql", json={"query": get_introspection_query()}).json()
        assert schema["data"]["__schema"]["queryType"]["name"] == "Query"
        fragments = """
            query { me { ...A ...B } }
            fragment A on Viewer { id ...C }
            fragment B on Viewer { id ...C }
            fragment C on Viewer { id __typename }
        """
        body = http.post("/graphql", json={"query": fragments}).json()
        assert "errors" not in body, body
        assert body["data"]["me"]["__typename"] == "Viewer"
        loop = http.get("/health/readiness").json()["event_loop"]
        assert set(loop) == {"stalls", "longest_stall_ms", "stalled_ms"}


def test_sigterm_ends_a_busy_gateway_within_its_grace_period(tmp_path: Path) -> None:
    with serve_process(tmp_path, SLOW_DEMO) as served:
        client = openai.OpenAI(base_url=f"{served.root}/v1", api_key=served.master_key)
        streams = [
            client.chat.completions.create(
                model="slow-demo",
                messages=[{"role": "user", "content": "a b c d e f g h"}],
                stream=True,
            )
            for _ in range(4)
        ]
        for stream in streams:
            next(iter(stream))  # every stream has started
        _send(served, next(a for a in ATTACKS if a.name == "fragment-fan-out-40"))
        served.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        texts = ["".join(c.choices[0].delta.content or "" for c in s if c.choices) for s in streams]
        served.process.wait(timeout=40)
        assert time.monotonic() - started < 30  # uvicorn's grace period
        # uvicorn raises the signal again once it has shut down cleanly
        assert served.process.returncode in (0, -signal.SIGTERM)
        assert all(text.endswith("h") for text in texts), texts  # in-flight streams finished
    log = served.log_path.read_text()
    assert "Application shutdown complete" in log
    assert "Traceback" not in log
