"""OpenID Connect single sign-on: authorization code flow with PKCE, and bearer tokens.

``start`` sends the browser to the provider with a fresh state, nonce and PKCE verifier,
kept in a short-lived cookie signed with the salt key. ``finish`` checks the state,
exchanges the code (with the verifier), verifies the ID token's RS256 signature against
the provider's JWKS (see :mod:`app.auth.oidc`), its issuer, audience, expiry and nonce,
then finds or provisions the user and opens a session.

``bearer_user`` accepts a token from the same provider as an admin-API caller: verified
the same way (audience ``client_id`` or the configured ``audience``), then mapped to the
user by verified e-mail, provisioned on first use as single sign-on does.

A token is linked to an account by e-mail only when its ``email_verified`` is true (a
missing claim is not), unless the provider is configured with
``allow_unverified_email``; addresses are compared in their normalised form.
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
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.errors import EmailTakenError
from app.auth.oidc import OidcProvider
from app.auth.results import LoginResult
from app.auth.service import IdentityService
from app.config_sections import OidcSettings
from app.errors import AuthenticationError, PermissionDeniedError
from app.users.emails import email_domain, normalise_email
from app.users.models import PlatformRole, User

__all__ = ["FLOW_COOKIE", "SingleSignOn"]

FLOW_COOKIE = "deltallm_oidc"
_FLOW_SECONDS = 600


def _verified(claims: dict[str, Any]) -> bool:
    """``email_verified`` is true: JSON ``true``, or the string some providers send."""
    flag = claims.get("email_verified")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class _Flow:
    state: str
    nonce: str
    verifier: str
    expires: float
    next: str | None = None


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
        self.provider = OidcProvider(settings, http)

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def _sign(self, flow: _Flow) -> str:
        data = {
            "state": flow.state,
            "nonce": flow.nonce,
            "verifier": flow.verifier,
            "expires": flow.expires,
            "next": flow.next,
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
        flow = _Flow(
            data["state"], data["nonce"], data["verifier"], float(data["expires"]), data.get("next")
        )
        if flow.expires < time.time():
            raise AuthenticationError("The sign-in attempt expired; start again.", code="sso_state")
        return flow

    async def start(self, redirect_uri: str, next_path: str | None = None) -> tuple[str, str]:
        """(provider URL to send the browser to, the flow cookie to set); ``next_path``
        rides in the signed cookie to where the browser goes once signed in."""
        config = await self.provider.config()
        flow = _Flow(
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
            time.time() + _FLOW_SECONDS,
            next_path,
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

    def next_path(self, cookie: str | None) -> str | None:
        """The path the flow in ``cookie`` was started for (None: none, or no valid flow)."""
        try:
            return self._unsign(cookie).next
        except AuthenticationError:
            return None

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
        config = await self.provider.config()
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
            id_token = str(response.json()["id_token"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise AuthenticationError(
                f"The sign-in provider refused the code: {exc}", code="sso_failed"
            ) from None
        try:
            claims = await self.provider.verify(id_token, [self.settings.client_id or ""])
        except AuthenticationError as exc:
            raise AuthenticationError(
                f"The ID token is not valid: {exc.message}", code="sso_failed"
            ) from None
        if not hmac.compare_digest(str(claims.get("nonce", "")), flow.nonce):
            raise AuthenticationError("The ID token's nonce does not match.", code="sso_failed")
        return claims

    async def bearer_user(self, token: str) -> User:
        """The user an OIDC bearer token (a JWT from the provider) stands for.

        Raises :class:`AuthenticationError` for a token that fails verification and
        :class:`PermissionDeniedError` for a refused domain or a blocked user.
        """
        audiences = [a for a in (self.settings.client_id, self.settings.audience) if a]
        claims = await self.provider.verify(token, audiences)
        return await self._user_for(claims)

    async def _user_for(self, claims: dict[str, Any]) -> User:
        email = normalise_email(str(claims.get("email") or ""))
        if not email or not (self.settings.allow_unverified_email or _verified(claims)):
            raise AuthenticationError("The provider gave no verified email.", code="sso_failed")
        domain = email_domain(email)
        allowed = [normalise_email(d) for d in self.settings.allowed_domains]
        if allowed and domain not in allowed:
            raise PermissionDeniedError(f"Sign-in from {domain} is not allowed.", code="sso_domain")
        user = await self._by_email(email)
        if user is None:
            try:
                user = await self._identity.create_user(
                    email,
                    None,
                    PlatformRole(self.settings.default_role),
                    must_change_password=False,
                    display_name=claims.get("name"),
                    source="oidc",
                )
            except EmailTakenError:  # provisioned by a concurrent first request
                user = await self._by_email(email)
                if user is None:
                    raise
        if user.blocked:
            raise PermissionDeniedError("This account is blocked.", code="blocked")
        return user

    async def _by_email(self, email: str) -> User | None:
        async with self._sessions() as session:
            return (await session.exec(select(User).where(User.email == email))).first()
