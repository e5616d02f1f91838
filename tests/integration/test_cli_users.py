"""``deltallm users create-admin`` as an operator runs it: a real process, one database."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import select as io_select
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlmodel import SQLModel, select

from app.audit.models import ActorType, AuditLog
from app.auth.passwords import Passwords
from app.db import create_engine, session_factory
from app.users.models import PlatformRole, User

DELTALLM = [sys.executable, "-m", "app.cli.main"]
Row = TypeVar("Row", bound=SQLModel)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    values = {**os.environ, "DELTALLM_DATA_DIR": str(tmp_path / "data")}
    for name in ("DATABASE_URL", "REDIS_URL", "DELTALLM_CONFIG_PATH"):
        values.pop(name, None)
    yield values


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stdin that is not a terminal (so it never prompts)."""
    return subprocess.run(
        [*DELTALLM, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def rows_in(data_dir: Path, model: type[Row]) -> list[Row]:
    async def read() -> list[Row]:
        engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'deltallm.db'}")
        try:
            async with session_factory(engine)() as session:
                return list((await session.exec(select(model))).all())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def users_in(data_dir: Path) -> list[User]:
    return rows_in(data_dir, User)


def test_generated_password_is_printed_once_and_must_be_changed(
    env: dict[str, str], tmp_path: Path
) -> None:
    created = run(env, "users", "create-admin", "--email", "Root@Example.com")
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    assert len(lines) == 1
    password = lines[0]
    assert len(password) >= 12
    assert password not in created.stderr
    assert "root@example.com" in created.stderr
    [user] = users_in(tmp_path / "data")
    assert user.email == "root@example.com"
    assert user.platform_role is PlatformRole.PLATFORM_ADMIN
    assert user.must_change_password is True
    assert user.password_hash is not None and password not in user.password_hash
    assert Passwords().verify(user.password_hash, password)
    [audit] = rows_in(tmp_path / "data", AuditLog)
    assert (audit.actor_type, audit.action, audit.target_id, audit.after) == (
        ActorType.SYSTEM,
        "user.create",
        user.id,
        {"email": "root@example.com", "platform_role": "platform_admin", "source": "cli"},
    )


def test_given_password_is_kept_and_not_printed(env: dict[str, str], tmp_path: Path) -> None:
    password = "a chosen admin password"
    created = run(
        env, "users", "create-admin", "--email", "ops@example.com", "--password", password
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout == ""
    assert password not in created.stderr
    [user] = users_in(tmp_path / "data")
    assert user.must_change_password is False
    assert user.password_hash is not None and Passwords().verify(user.password_hash, password)


def test_duplicate_email_fails_with_one_line(env: dict[str, str]) -> None:
    assert run(env, "users", "create-admin", "--email", "root@example.com").returncode == 0
    again = run(env, "users", "create-admin", "--email", "ROOT@example.com")
    assert again.returncode == 2
    assert again.stdout == ""
    assert again.stderr.splitlines() == [
        "error: a user with e-mail root@example.com already exists"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "ops@example.com", "--password", "short"], "at least 12 characters"),
        (
            ["--email", "ops@example.com", "--password", "ops@example.com"],
            "must not be the e-mail address",
        ),
        (["--email", "not-an-address"], "not an e-mail address"),
    ],
)
def test_bad_input_fails_with_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    result = run(env, "users", "create-admin", *args)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line


def test_email_is_required(env: dict[str, str]) -> None:
    result = run(env, "users", "create-admin")
    assert result.returncode != 0
    assert "--email" in result.stderr


def _answer(terminal: int, prompt: str, reply: str) -> None:
    """Wait for ``prompt`` on the terminal, then type ``reply`` (typed-ahead input is flushed)."""
    seen = b""
    deadline = time.monotonic() + 30
    while prompt.encode() not in seen:
        assert time.monotonic() < deadline, f"no {prompt!r} prompt, saw {seen!r}"
        if io_select.select([terminal], [], [], 0.5)[0]:
            seen += os.read(terminal, 1024)
    os.write(terminal, reply.encode() + b"\n")


def test_prompts_with_confirmation_on_a_terminal(env: dict[str, str], tmp_path: Path) -> None:
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [*DELTALLM, "users", "create-admin", "--email", "tty@example.com"],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        # make the pty the controlling terminal, which getpass reads the password from
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(secondary)
    try:
        _answer(primary, "Password", "typed at the prompt")
        _answer(primary, "Repeat", "typed at the prompt")
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
        os.close(primary)
    assert process.returncode == 0, stderr
    assert stdout == ""
    [user] = users_in(tmp_path / "data")
    assert user.must_change_password is False
    assert user.password_hash is not None
    assert Passwords().verify(user.password_hash, "typed at the prompt")
