"""Who is calling ``/v1``: the master key, or a virtual key looked up by its hash.

Lookups go hash → in-process cache → database; the cache is invalidated on every
change (``app.keys.invalidation``). Revoked, expired and blocked keys are refused here.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.types import utcnow
from app.errors import AuthenticationError, PermissionDeniedError
from app.keys.cache import MISSING, KeyCache
from app.keys.identity import KeyIdentity
from app.keys.lookup import load_identity
from app.keys.secrets import hash_key

__all__ = ["Authenticator", "Caller", "KeyAuthenticator", "check_usable", "extract_key"]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller. ``is_master`` callers may use every model, unlimited."""

    kind: str
    id: str
    is_master: bool = False
    identity: KeyIdentity | None = None


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


class KeyAuthenticator:
    def __init__(
        self,
        master_key: SecretStr,
        salt: SecretStr,
        sessions: async_sessionmaker[AsyncSession],
        cache: KeyCache,
        *,
        on_load: Callable[[KeyIdentity], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._master = master_key.get_secret_value().encode()
        self._salt = salt.get_secret_value()
        self._sessions = sessions
        self.cache = cache
        self._on_load = on_load
        self._clock = clock

    async def authenticate(self, secret: str) -> Caller:
        if hmac.compare_digest(secret.encode(), self._master):
            return Caller(kind="master", id="master", is_master=True)
        key_hash = hash_key(secret, self._salt)
        cached = self.cache.get(key_hash)
        if cached is MISSING:
            generation = self.cache.generation
            identity = await load_identity(self._sessions, key_hash, self._clock())
            if identity is not None and self._on_load is not None:
                await self._on_load(identity)
            self.cache.put(key_hash, identity, generation=generation)
        else:
            identity = cached if isinstance(cached, KeyIdentity) else None
        if identity is None:
            raise AuthenticationError("Incorrect API key provided.", code="invalid_api_key")
        self._check(identity)
        return Caller(kind="key", id=identity.key_id, identity=identity)

    def _check(self, identity: KeyIdentity) -> None:
        check_usable(identity, self._clock())


def check_usable(identity: KeyIdentity, now: datetime) -> None:
    """Refuse a revoked, expired, rotated-out or blocked key (or one whose owner is blocked)."""
    if identity.revoked:
        raise AuthenticationError("This API key has been revoked.", code="key_revoked")
    if identity.expires_at is not None and identity.expires_at <= now:
        raise AuthenticationError("This API key has expired.", code="key_expired")
    if identity.grace_expires_at is not None and identity.grace_expires_at <= now:
        raise AuthenticationError(
            "This API key was replaced and its grace period is over.", code="key_rotated"
        )
    if identity.blocked_reason is not None:
        raise PermissionDeniedError(
            f"This API key cannot be used: {identity.blocked_reason}.", code="key_blocked"
        )
