"""The OpenID Connect provider as DeltaLLM sees it: discovery, signing keys, token checks.

The discovery document and the JWKS are fetched over httpx and kept for an hour. A token
names its signing key by ``kid``; an unknown ``kid`` refetches the JWKS (at most every
``JWKS_REFRESH_FLOOR`` seconds, so that made-up ``kid`` values cannot hammer the
provider, even when many such tokens arrive at once) before the token is refused. A
refetch replaces the keys: one the provider no longer publishes is no longer trusted. When
the provider cannot be reached, the documents already fetched stay in use and the next
attempt waits ``JWKS_REFRESH_FLOOR`` seconds, so an outage neither signs everyone out nor
lets tokens hammer the provider. Only RS256 is accepted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from app.config_sections import OidcSettings
from app.errors import AuthenticationError

__all__ = ["JWKS_REFRESH_FLOOR", "OidcProvider", "looks_like_jwt"]

_CACHE_SECONDS = 3600
JWKS_REFRESH_FLOOR = 30.0
_LEEWAY_SECONDS = 30
_ALGORITHMS = ["RS256"]

log = logging.getLogger("deltallm.oidc")


def looks_like_jwt(value: str) -> bool:
    """Whether ``value`` has a JWT's shape (three dot-separated parts, a JSON header)."""
    if value.count(".") != 2:
        return False
    try:
        jwt.get_unverified_header(value)
    except jwt.PyJWTError:
        return False
    return True


class OidcProvider:
    def __init__(
        self,
        settings: OidcSettings,
        http: httpx.AsyncClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._http = http
        self._clock = clock
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._jwks: tuple[float, list[jwt.PyJWK]] | None = None
        self._jwks_retry_at = 0.0
        self._jwks_lock = asyncio.Lock()

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, timeout=10)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AuthenticationError(
                f"The sign-in provider is unreachable ({what}): {exc}", code="sso_unavailable"
            ) from None
        return document

    async def config(self) -> dict[str, Any]:
        """The provider's discovery document (cached for an hour)."""
        if self._discovery is None or self._discovery[0] < self._clock():
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            try:
                document = await self._get_json(url, "discovery")
            except AuthenticationError:
                if self._discovery is None:
                    raise
                log.warning("OIDC discovery failed; keeping the document fetched before")
                self._discovery = (self._clock() + JWKS_REFRESH_FLOOR, self._discovery[1])
            else:
                self._discovery = (self._clock() + _CACHE_SECONDS, document)
        return self._discovery[1]

    async def _fetch_keys(self) -> list[jwt.PyJWK]:
        config = await self.config()
        if "jwks_uri" not in config:
            raise AuthenticationError(
                "The sign-in provider publishes no jwks_uri.", code="sso_unavailable"
            )
        document = await self._get_json(str(config["jwks_uri"]), "JWKS")
        try:
            keys: list[jwt.PyJWK] = jwt.PyJWKSet.from_dict(document).keys
        except jwt.PyJWTError as exc:
            raise AuthenticationError(
                f"The sign-in provider's JWKS is unusable: {exc}", code="sso_unavailable"
            ) from None
        return keys

    def _cached(self, refresh: bool) -> list[jwt.PyJWK] | None:
        """The cached keys, unless due for a fetch: never fetched, an hour old, or an
        unknown ``kid`` (``refresh``) at least ``JWKS_REFRESH_FLOOR`` seconds after the last."""
        if self._jwks is None:
            return None
        if self._clock() < self._jwks_retry_at:
            return self._jwks[1]  # the last attempt failed: not again before the floor
        age = self._clock() - self._jwks[0]
        if age > _CACHE_SECONDS or (refresh and age >= JWKS_REFRESH_FLOOR):
            return None
        return self._jwks[1]

    async def _keys(self, *, refresh: bool = False) -> list[jwt.PyJWK]:
        cached = self._cached(refresh)
        if cached is not None:
            return cached
        async with self._jwks_lock:
            cached = self._cached(refresh)  # a concurrent request may have just fetched them
            if cached is not None:
                return cached
            fetched_at = self._clock()
            try:
                keys = await self._fetch_keys()
            except AuthenticationError:
                if self._jwks is None:
                    raise
                log.warning("OIDC JWKS refetch failed; keeping the keys fetched before")
                self._jwks_retry_at = fetched_at + JWKS_REFRESH_FLOOR
                return self._jwks[1]
            self._jwks = (fetched_at, keys)
            return keys

    async def signing_key(self, token: str) -> jwt.PyJWK:
        """The provider key that ``token`` names (its ``kid``, or the only key there is)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"Not a JWT: {exc}", code="invalid_token") from None
        for refresh in (False, True):
            keys = await self._keys(refresh=refresh)
            if kid is None and len(keys) == 1:
                return keys[0]
            found = next((k for k in keys if kid is not None and k.key_id == kid), None)
            if found is not None:
                return found
        named = f"key {kid!r}" if kid is not None else "key (the token names none)"
        raise AuthenticationError(
            f"The token is signed with an unknown {named}.", code="invalid_token"
        )

    async def verify(self, token: str, audiences: list[str]) -> dict[str, Any]:
        """The claims of an RS256 token from this provider for one of ``audiences``.

        Checks the signature, ``iss``, ``aud`` and ``exp`` (30 seconds of clock skew).
        """
        key = await self.signing_key(token)
        config = await self.config()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                audience=audiences,
                issuer=str(config.get("issuer", self.settings.issuer)),
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(
                f"The token is not valid: {exc}", code="invalid_token"
            ) from None
        return claims
