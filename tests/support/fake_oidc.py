"""A real OpenID Connect provider on loopback that signs RS256 ID tokens (for SSO tests).

``sign(...)`` makes a token as the provider would issue it (for bearer-token tests): every
claim can be overridden, and ``key``/``kid`` sign it with another key or name another one.
``rotate(kid)`` switches the provider to a new signing key, as a provider rotating its keys
does; the JWKS then publishes the new key, and the previous ones only while ``keep``.
``down`` makes discovery and the JWKS fail, as in an outage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from enum import Enum
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["FakeOidcProvider", "oidc_config"]


class _Current(Enum):
    KID = "the current signing key's kid"


class FakeOidcProvider:
    def __init__(self, *, client_id: str = "deltallm", client_secret: str = "s3cret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.email = "ada@example.com"
        self.email_verified: bool | str | None = True
        """The ``email_verified`` claim of the tokens issued; ``None`` leaves it out."""
        self.kid = "k1"
        self._keys = {self.kid: _new_key()}
        self.published = [self.kid]
        self._codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.jwks_requests = 0
        self.down = False
        """While set, discovery and the JWKS answer 503, as a provider in an outage."""
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeOidcProvider:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        app.router.add_get("/jwks", self._jwks)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _discovery(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"error": "unavailable"}, status=503)
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        assert query["client_id"] == self.client_id and query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self._codes[code] = query
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        raise web.HTTPFound(target)

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        grant = self._codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or form.get("client_secret") != self.client_secret
            or challenge.rstrip(b"=").decode() != grant["code_challenge"]
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "email": self.email,
            "email_verified": self.email_verified,
            "name": "Ada Lovelace",
        }
        claims = {k: v for k, v in claims.items() if v is not None}  # None: no such claim
        token = jwt.encode(
            claims, self._keys[self.kid], algorithm="RS256", headers={"kid": self.kid}
        )
        return web.json_response({"id_token": token, "access_token": "at", "token_type": "Bearer"})

    def sign(
        self,
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | _Current | None = _Current.KID,
        lifetime: int = 300,
        **claims: Any,
    ) -> str:
        """An RS256 token for ``self.email`` (``claims`` override or add; ``None`` drops).

        By default it is signed with the current key and names its ``kid``; a ``kid`` of an
        earlier key signs with that key, even after it left the JWKS.
        """
        if isinstance(kid, _Current):
            kid = self.kid
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "user-1",
            "iat": now,
            "exp": now + lifetime,
            "email": self.email,
            "email_verified": self.email_verified,
            "name": "Ada Lovelace",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        headers = {"kid": kid} if kid is not None else {}
        signer = key or self._keys.get(kid or self.kid, self._keys[self.kid])
        return jwt.encode(body, signer, algorithm="RS256", headers=headers)

    def rotate(self, kid: str, *, keep: bool = False) -> None:
        """Sign with a new key ``kid`` from now on; ``keep`` publishes the previous keys too."""
        self._keys[kid] = _new_key()
        self.kid = kid
        self.published = [kid, *self.published] if keep else [kid]

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_requests += 1
        if self.down:
            return web.json_response({"error": "unavailable"}, status=503)
        keys = []
        for kid in self.published:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._keys[kid].public_key()))
            jwk.update(kid=kid, use="sig", alg="RS256")
            keys.append(jwk)
        return web.json_response({"keys": keys})


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def oidc_config(provider: FakeOidcProvider, **oidc: Any) -> dict[str, Any]:
    """A gateway config with single sign-on through ``provider`` (extra ``oidc`` settings)."""
    return {
        "model_list": [],
        "general_settings": {
            "oidc": {
                "enabled": True,
                "issuer": provider.issuer,
                "client_id": provider.client_id,
                "client_secret": provider.client_secret,
                "allowed_domains": ["example.com"],
                **oidc,
            }
        },
    }
