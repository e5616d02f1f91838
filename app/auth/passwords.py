"""Password hashing (argon2id) and the password policy.

Hashing is CPU- and memory-heavy by design: the service calls these functions from a
worker thread. :meth:`Passwords.burn` verifies against a dummy hash so that a sign-in for
an unknown e-mail costs the same as one with a wrong password.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.auth.errors import WeakPasswordError

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "Passwords", "check_policy", "generate_password"]

MIN_LENGTH = 12
MAX_LENGTH = 1024
"""Longer passwords are refused: hashing a megabyte on every attempt is a cheap DoS."""


def check_policy(password: str, email: str | None = None) -> None:
    """Raise :class:`WeakPasswordError` unless ``password`` may be used by ``email``."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"the password must have at most {MAX_LENGTH} characters")
    if email is not None and password.strip().casefold() == email.strip().casefold():
        raise WeakPasswordError("the password must not be the e-mail address")


def generate_password() -> str:
    """A random password of 22 URL-safe characters (about 128 bits)."""
    return secrets.token_urlsafe(16)


class Passwords:
    """argon2id hashes with one set of parameters (argon2-cffi's defaults unless given)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; a malformed hash never matches."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """Spend the time of one verification, for a user that does not exist."""
        if self._dummy is None:
            self._dummy = self.hash(secrets.token_urlsafe(16))
        self.verify(self._dummy, password)
