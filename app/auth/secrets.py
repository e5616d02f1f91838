"""Secrets of sign-in: session tokens, recovery codes and TOTP secrets at rest.

Tokens and recovery codes are random and high-entropy, so an HMAC-SHA256 keyed with
``DELTALLM_SALT_KEY`` identifies them without storing them. TOTP secrets must be read
back, so they are encrypted (Fernet) with a key derived from the salt key by HKDF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "RECOVERY_CODE_COUNT",
    "SecretBox",
    "generate_recovery_code",
    "generate_session_token",
    "keyed_hash",
    "normalise_recovery_code",
]

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes
_RECOVERY_HALF = 5


def generate_session_token() -> str:
    """A random session token (256 bits), handed to the browser once."""
    return secrets.token_urlsafe(32)


def keyed_hash(value: str, salt: str) -> str:
    """HMAC-SHA256 of ``value`` keyed with the salt key, as 64 hex characters."""
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()


def generate_recovery_code() -> str:
    """A recovery code such as ``k3m9p-x7q2w`` (about 50 bits)."""
    chars = [secrets.choice(_RECOVERY_ALPHABET) for _ in range(2 * _RECOVERY_HALF)]
    return "".join(chars[:_RECOVERY_HALF]) + "-" + "".join(chars[_RECOVERY_HALF:])


def normalise_recovery_code(code: str) -> str:
    """The canonical form people may type loosely: case, spaces and dashes ignored."""
    compact = "".join(ch for ch in code.lower() if ch.isalnum())
    return compact[:_RECOVERY_HALF] + "-" + compact[_RECOVERY_HALF:]


class SecretBox:
    """Encrypts small secrets with a Fernet key derived from the salt key."""

    def __init__(self, salt: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"deltallm mfa secrets"
        ).derive(salt.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def decrypt(self, token: str) -> str | None:
        """The secret, or ``None`` when it was encrypted with another salt key."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            return None
