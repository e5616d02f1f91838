"""OpenID Connect single sign-on: authorization code flow with PKCE.

``start`` sends the browser to the provider with a fresh state, nonce and PKCE verifier,
kept in a short-lived cookie signed with the salt key. ``finish`` checks the state,
exchanges the code (with the verifier), verifies the ID token's RS256 signature against
the provider's JWKS (fetched over httpx), its issuer, audience, expiry and nonce, then
finds or provisions the user and opens a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.results import LoginResult
from app.auth.service import IdentityService
from app.config import OidcSettings
from app.errors import AuthenticationError, PermissionDeniedError
from app.users.models import PlatformRole, User

__all__ = ["FLOW_COOKIE", "SingleSignOn"]

FLOW_COOKIE = "deltallm_oidc"
_FLOW_SECONDS = 600
_DISCOVERY_SECONDS = 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class _Flow:
    state: str
    nonce: str
    verifier: str
    expires: float


class SingleSignOn:
    def __init__(
        self,
        settings: OidcSettings,
        salt: str,
        http: httpx.AsyncClient,
        identity: IdentityService,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self.settings = settings
        self._salt = salt.encode()
        self._http = http
        self._identity = identity
        self._sessions = sessions
        self._discovery: tuple[float, dict[str, Any]] | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    async def _config(self) -> dict[str, Any]:
        if self._discovery is None or self._discovery[0] < time.monotonic():
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            try:
                response = await self._http.get(url, timeout=10)
                response.raise_for_status()
                document: dict[str, Any] = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise AuthenticationError(
                    f"The sign-in provider is unreachable: {exc}", code="sso_unavailable"
                ) from None
            self._discovery = (time.monotonic() + _DISCOVERY_SECONDS, document)
        return self._discovery[1]

    def _sign(self, flow: _Flow) -> str:
        data = {
            "state": flow.state,
            "nonce": flow.nonce,
            "verifier": flow.verifier,
            "expires": flow.expires,
        }
        payload = _b64(json.dumps(data).encode())
        mac = hmac.new(self._salt, payload.encode(), hashlib.sha256).hexdigest()
        return f"{payload}.{mac}"

    def _unsign(self, cookie: str | None) -> _Flow:
        payload, _, mac = (cookie or "").partition(".")
        expected = hmac.new(self._salt, payload.encode(), hashlib.sha256).hexdigest()
        if not cookie or not hmac.compare_digest(mac, expected):
            raise AuthenticationError(
                "The sign-in attempt is unknown; start again.", code="sso_state"
            )
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        flow = _Flow(data["state"], data["nonce"], data["verifier"], float(data["expires"]))
        if flow.expires < time.time():
            raise AuthenticationError("The sign-in attempt expired; start again.", code="sso_state")
        return flow

    async def start(self, redirect_uri: str) -> tuple[str, str]:
        """(provider URL to send the browser to, the flow cookie to set)."""
        config = await self._config()
        flow = _Flow(
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
            time.time() + _FLOW_SECONDS,
        )
        challenge = _b64(hashlib.sha256(flow.verifier.encode()).digest())
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self.settings.scopes),
                "state": flow.state,
                "nonce": flow.nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{config['authorization_endpoint']}?{query}", self._sign(flow)

    async def finish(
        self,
        *,
        code: str,
        state: str,
        cookie: str | None,
        redirect_uri: str,
        user_agent: str | None = None,
        ip: str | None = None,
    ) -> LoginResult:
        flow = self._unsign(cookie)
        if not hmac.compare_digest(flow.state, state):
            raise AuthenticationError("The sign-in state does not match.", code="sso_state")
        config = await self._config()
        claims = await self._id_token_claims(config, code, redirect_uri, flow)
        user = await self._user_for(claims)
        return await self._identity.open_session(user.id, user_agent=user_agent, ip=ip)

    async def _id_token_claims(
        self, config: dict[str, Any], code: str, redirect_uri: str, flow: _Flow
    ) -> dict[str, Any]:
        secret = self.settings.client_secret
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.settings.client_id or "",
            "code_verifier": flow.verifier,
        }
        if secret is not None:
            form["client_secret"] = secret.get_secret_value()
        try:
            response = await self._http.post(config["token_endpoint"], data=form, timeout=10)
            response.raise_for_status()
            id_token = response.json()["id_token"]
            jwks = (await self._http.get(config["jwks_uri"], timeout=10)).json()
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise AuthenticationError(
                f"The sign-in provider refused the code: {exc}", code="sso_failed"
            ) from None
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            keys = jwt.PyJWKSet.from_dict(jwks).keys
            key = next((k for k in keys if k.key_id == kid), None) or keys[0]
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256"],
                audience=self.settings.client_id,
                issuer=config.get("issuer", self.settings.issuer),
            )
        except (jwt.PyJWTError, IndexError) as exc:
            raise AuthenticationError(
                f"The ID token is not valid: {exc}", code="sso_failed"
            ) from None
        if not hmac.compare_digest(str(claims.get("nonce", "")), flow.nonce):
            raise AuthenticationError("The ID token's nonce does not match.", code="sso_failed")
        return claims

    async def _user_for(self, claims: dict[str, Any]) -> User:
        email = str(claims.get("email") or "").strip().lower()
        if not email or claims.get("email_verified") is False:
            raise AuthenticationError("The provider gave no verified email.", code="sso_failed")
        domain = email.rpartition("@")[2]
        allowed = [d.lower() for d in self.settings.allowed_domains]
        if allowed and domain not in allowed:
            raise PermissionDeniedError(f"Sign-in from {domain} is not allowed.", code="sso_domain")
        async with self._sessions() as session:
            user = (await session.exec(select(User).where(User.email == email))).first()
        if user is None:
            user = await self._identity.create_user(
                email,
                None,
                PlatformRole(self.settings.default_role),
                must_change_password=False,
                display_name=claims.get("name"),
            )
        if user.blocked:
            raise PermissionDeniedError("This account is blocked.", code="blocked")
        return user
