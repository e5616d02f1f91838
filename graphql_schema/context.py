"""The per-request context of the admin API: who is calling and the services to call."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import replace
from typing import Any

from litestar import Request
from strawberry.litestar import BaseContext

from app.audit.models import ActorType
from app.auth.oidc import looks_like_jwt
from app.auth.principal import Principal, load_user_principal
from app.auth.results import SESSION_COOKIE
from app.db.types import utcnow
from app.errors import AuthenticationError, PermissionDeniedError
from app.gateway.auth import extract_key
from app.keys.lookup import load_identity
from app.keys.secrets import hash_key
from app.runtime import Runtime
from app.users.models import PlatformRole, User
from graphql_schema.loaders import Loaders

__all__ = ["GraphQLContext", "context_getter"]


CSRF_HEADER = "x-deltallm-csrf"


class GraphQLContext(BaseContext, kw_only=True):
    """Strawberry's Litestar context (request, response) plus the caller and the runtime."""

    runtime: Runtime
    principal: Principal | None
    request_id: str
    auth_problem: str | None = None
    session_token: str | None = None
    session_id: str | None = None
    _loaders: Loaders | None = None

    @property
    def loaders(self) -> Loaders:
        """This request's DataLoaders (made on first use)."""
        if self._loaders is None:
            self._loaders = Loaders(self.runtime.sessions)
        return self._loaders

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise AuthenticationError(
                self.auth_problem or "Sign in, or send an admin key as a Bearer token.",
                code="unauthenticated",
            )
        return self.principal


async def _principal(
    runtime: Runtime, request: Request[Any, Any, Any], request_id: str
) -> tuple[Principal | None, str | None]:
    try:
        secret = extract_key(request.headers)
    except AuthenticationError:
        return None, None
    master = runtime.settings.master_key.get_secret_value()
    if hmac.compare_digest(secret.encode(), master.encode()):
        principal = Principal(
            ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN, request_id=request_id
        )
        return principal, None
    if runtime.sso.enabled and looks_like_jwt(secret):
        return await _oidc_principal(runtime, secret, request_id)
    salt = runtime.settings.salt_key.get_secret_value()
    now = utcnow()
    identity = await load_identity(runtime.sessions, hash_key(secret, salt), now)
    usable = (
        identity is not None
        and identity.is_admin
        and not identity.revoked
        and identity.blocked_reason is None
        and (identity.expires_at is None or identity.expires_at > now)
    )
    if identity is None or not usable:
        return None, "This key cannot administer the gateway."
    principal = Principal(
        ActorType.KEY, identity.key_id, PlatformRole.PLATFORM_ADMIN, request_id=request_id
    )
    return principal, None


async def _oidc_principal(
    runtime: Runtime, token: str, request_id: str
) -> tuple[Principal | None, str | None]:
    """A bearer JWT from the OIDC provider: the user it names by verified e-mail."""
    try:
        user = await runtime.sso.bearer_user(token)
    except (AuthenticationError, PermissionDeniedError) as exc:
        return None, f"The bearer token was refused: {exc.message}"
    return await load_user_principal(runtime.sessions, user, request_id=request_id), None


async def _session_principal(
    runtime: Runtime, request: Request[Any, Any, Any], token: str, request_id: str
) -> tuple[Principal | None, str | None, str | None]:
    """(principal, session id, problem) for a session cookie."""
    if request.method == "POST" and (
        not request.headers.get("content-type", "").startswith("application/json")
        or not request.headers.get(CSRF_HEADER)
    ):
        # Browsers cannot send this header cross-site without a CORS preflight.
        return None, None, f"Cookie-authenticated requests need JSON and the {CSRF_HEADER} header."
    session = await runtime.identity.authenticate_session(token)
    if session is None:
        return None, None, "Your session has ended; sign in again."
    async with runtime.sessions() as db:
        user = await db.get(User, session.user_id)
    if user is None:
        return None, None, "Your session has ended; sign in again."
    principal = await load_user_principal(runtime.sessions, user, request_id=request_id)
    general = runtime.settings.config.general_settings
    if general.require_mfa_for_admins and principal.sees_everything and not session.mfa_passed:
        principal = replace(principal, mfa_pending=True)
    return principal, session.session_id, None


async def context_getter(request: Request[Any, Any, Any]) -> GraphQLContext:
    runtime: Runtime = request.app.state.runtime
    request_id = uuid.uuid4().hex
    request.state.request_id = request_id
    principal, problem = await _principal(runtime, request, request_id)
    token = request.cookies.get(SESSION_COOKIE)
    session_id = None
    if principal is None and problem is None and token:
        principal, session_id, problem = await _session_principal(
            runtime, request, token, request_id
        )
    return GraphQLContext(
        runtime=runtime,
        principal=principal,
        request_id=request_id,
        auth_problem=problem,
        session_token=token,
        session_id=session_id,
    )
