"""argon2id hashing, rehashing when parameters change, and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from app.auth.errors import WeakPasswordError
from app.auth.passwords import MIN_LENGTH, Passwords, check_policy, generate_password

CHEAP = Passwords(PasswordHasher.from_parameters(CHEAPEST))


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = CHEAP.hash("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse battery" not in hashed
    assert CHEAP.verify(hashed, "correct horse battery")
    assert not CHEAP.verify(hashed, "correct horse battery!")


def test_each_hash_is_salted() -> None:
    assert CHEAP.hash("same password here") != CHEAP.hash("same password here")


def test_malformed_hash_never_matches_and_needs_rehash() -> None:
    assert not CHEAP.verify("not-a-hash", "anything at all")
    assert CHEAP.needs_rehash("not-a-hash")


def test_rehash_when_parameters_change() -> None:
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    old = CHEAP.hash("a long enough password")
    assert not CHEAP.needs_rehash(old)
    assert stronger.needs_rehash(old)
    assert stronger.verify(old, "a long enough password")
    assert not stronger.needs_rehash(stronger.hash("a long enough password"))


def test_burn_verifies_against_a_dummy_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    passwords = Passwords(PasswordHasher.from_parameters(CHEAPEST))
    calls: list[tuple[str, str]] = []
    real_verify = passwords.verify

    def spy(password_hash: str, password: str) -> bool:
        calls.append((password_hash, password))
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify", spy)
    passwords.burn("guess-guess-guess")
    passwords.burn("guess-guess-guess")
    assert [password for _, password in calls] == ["guess-guess-guess"] * 2
    assert calls[0][0].startswith("$argon2id$") and calls[0][0] == calls[1][0]


@pytest.mark.parametrize(
    ("password", "email", "message"),
    [
        ("short", None, f"at least {MIN_LENGTH}"),
        ("x" * (MIN_LENGTH - 1), None, f"at least {MIN_LENGTH}"),
        ("x" * 1025, None, "at most 1024"),
        ("ada@example.com", "ada@example.com", "e-mail"),
        ("ADA@Example.com ", "ada@example.com", "e-mail"),
    ],
)
def test_policy_rejects(password: str, email: str | None, message: str) -> None:
    with pytest.raises(WeakPasswordError, match=message) as raised:
        check_policy(password, email)
    assert raised.value.code == "weak_password"
    assert raised.value.status_code == 400
    assert raised.value.param == "password"


def test_policy_accepts() -> None:
    check_policy("x" * MIN_LENGTH)
    check_policy("a long passphrase", "ada@example.com")


def test_generated_passwords_pass_the_policy_and_differ() -> None:
    first, second = generate_password(), generate_password()
    check_policy(first, "ada@example.com")
    assert first != second
