"""Virtual key secrets: generated once, identified by a keyed hash, displayed masked.

Keys are high-entropy, so HMAC-SHA256 keyed with ``DELTALLM_SALT_KEY`` identifies them in
microseconds; a slow password hash would only cost latency on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["KEY_PREFIX", "display_parts", "generate_secret", "hash_key"]

KEY_PREFIX = "sk-"


def generate_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(secret: str, salt: str) -> str:
    return hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest()


def display_parts(secret: str) -> tuple[str, str]:
    """(prefix, suffix) that identify a key to people without revealing it."""
    return secret[: len(KEY_PREFIX) + 4], secret[-4:]
