"""Who is calling ``/v1``: the key in the request, checked against the master key.

Virtual keys plug in here (``Authenticator``); the transport only extracts the secret.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from pydantic import SecretStr

from app.errors import AuthenticationError

__all__ = ["Authenticator", "Caller", "MasterKeyAuthenticator", "extract_key"]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller. ``is_master`` callers may use every model."""

    kind: str
    id: str
    is_master: bool = False


class Authenticator(Protocol):
    async def authenticate(self, secret: str) -> Caller: ...


def extract_key(headers: Mapping[str, str]) -> str:
    """The secret from ``Authorization: Bearer``, ``api-key`` (Azure) or ``x-api-key``."""
    value = headers.get("authorization")
    if value:
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    for name in ("api-key", "x-api-key"):
        value = headers.get(name)
        if value:
            return value.strip()
    raise AuthenticationError(
        "You didn't provide an API key. Send it as `Authorization: Bearer <key>`.",
        code="missing_api_key",
    )


class MasterKeyAuthenticator:
    """Accepts only the master key (constant-time comparison)."""

    def __init__(self, master_key: SecretStr) -> None:
        self._master = master_key.get_secret_value().encode()

    async def authenticate(self, secret: str) -> Caller:
        if hmac.compare_digest(secret.encode(), self._master):
            return Caller(kind="master", id="master", is_master=True)
        raise AuthenticationError("Incorrect API key provided.", code="invalid_api_key")
