"""A real OpenID Connect provider on loopback that signs RS256 ID tokens (for SSO tests).

``sign(...)`` makes a token as the provider would issue it (for bearer-token tests): every
claim can be overridden, and ``key``/``kid`` sign it with another key or name another one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["FakeOidcProvider", "oidc_config"]


class FakeOidcProvider:
    def __init__(self, *, client_id: str = "deltallm", client_secret: str = "s3cret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.email = "ada@example.com"
        self.email_verified = True
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.jwks_requests = 0
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
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "k1"})
        return web.json_response({"id_token": token, "access_token": "at", "token_type": "Bearer"})

    def sign(
        self,
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = "k1",
        lifetime: int = 300,
        **claims: Any,
    ) -> str:
        """An RS256 token for ``self.email`` (``claims`` override or add; ``None`` drops)."""
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
        return jwt.encode(body, key or self._key, algorithm="RS256", headers=headers)

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_requests += 1
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update(kid="k1", use="sig", alg="RS256")
        return web.json_response({"keys": [jwk]})


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
