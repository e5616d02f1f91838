"""Signing in and out, passwords and MFA (self-service), and user administration.

The identity service audits every change in the transaction that makes it. Account
administration reaches users of the caller's rank or below, never the caller's own
account (``FORBIDDEN`` otherwise); expected mistakes come back in the payload's ``errors``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import strawberry
from strawberry.types import Info

from app.audit.models import ActorType
from app.auth.accounts import LastAdminError
from app.auth.errors import InvalidMfaCodeError, UserNotFoundError
from app.auth.passwords import generate_password
from app.auth.results import LoginOutcome
from app.errors import (
    AuthenticationError,
    BadRequestError,
    DeltaLLMError,
    PermissionDeniedError,
    RateLimitError,
)
from app.proxy.cookies import session_cookie
from app.users.models import PlatformRole
from app.users.models import User as UserRow
from graphql_schema.context import GraphQLContext
from graphql_schema.identity.types import (
    LoginPayload,
    MfaEnrollment,
    User,
    UserPayload,
    UserUpdatePayload,
)
from graphql_schema.keys.errors import UserError, user_errors
from graphql_schema.permissions import platform_role, public, signed_in

__all__ = ["IdentityMutations"]

Ctx = Info[GraphQLContext, Any]
_ADMINS = (PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)


def _user_id(info: Ctx) -> str:
    principal = info.context.require_principal()
    if principal.kind is not ActorType.USER or principal.id is None:
        raise BadRequestError("Only signed-in users have passwords and MFA.", code="not_a_user")
    return principal.id


def _set_cookie(info: Ctx, token: str | None, lifetime: timedelta | None = None) -> None:
    response, request = info.context.response, info.context.request
    assert response is not None and request is not None
    secure = request.url.scheme == "https"
    response.set_cookie(session_cookie(token, secure=secure, lifetime=lifetime))


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(extensions=public())
    async def login(
        self, info: Ctx, email: str, password: str, totp_code: str | None = None
    ) -> LoginPayload:
        """Sign in; on success the session cookie ``deltallm_session`` is set (HttpOnly).

        Each TOTP code works once: a code already used (or an older one) is refused.
        """
        identity = info.context.runtime.identity
        request = info.context.request
        peer = request.client.host if request and request.client else None
        try:
            result = await identity.login(
                email,
                password,
                totp_code,
                user_agent=request.headers.get("user-agent") if request else None,
                ip=identity.client_address(peer, request.headers) if request else None,
                request_id=info.context.request_id,
            )
        except (AuthenticationError, RateLimitError) as exc:
            return LoginPayload(
                ok=False, mfa_required=False, must_change_password=False, errors=user_errors(exc)
            )
        if result.outcome is LoginOutcome.MFA_REQUIRED:
            return LoginPayload(ok=False, mfa_required=True, must_change_password=False, errors=[])
        assert result.token is not None and result.lifetime is not None
        _set_cookie(info, result.token, result.lifetime)
        return LoginPayload(
            ok=True, mfa_required=False, must_change_password=result.must_change_password, errors=[]
        )

    @strawberry.mutation(extensions=signed_in())
    async def logout(self, info: Ctx) -> bool:
        if info.context.session_token:
            await info.context.runtime.identity.logout(
                info.context.session_token, request_id=info.context.request_id
            )
        _set_cookie(info, None)
        return True

    @strawberry.mutation(extensions=signed_in())
    async def change_password(self, info: Ctx, current: str, new: str) -> list[UserError]:
        user_id = _user_id(info)
        try:
            await info.context.runtime.identity.change_password(
                user_id,
                current,
                new,
                keep_session_id=info.context.session_id,
                actor=info.context.require_principal().actor(),
            )
        except (AuthenticationError, BadRequestError) as exc:
            return user_errors(exc)
        return []

    @strawberry.mutation(extensions=signed_in())
    async def start_mfa_enrollment(self, info: Ctx) -> MfaEnrollment:
        uri, secret = await info.context.runtime.identity.start_mfa_enrollment(
            _user_id(info), actor=info.context.require_principal().actor()
        )
        return MfaEnrollment(otpauth_uri=uri, secret=secret)

    @strawberry.mutation(extensions=signed_in())
    async def confirm_mfa_enrollment(self, info: Ctx, code: str) -> list[str]:
        """Turns MFA on; returns the recovery codes, shown this once. A wrong or already
        used code is ``BAD_USER_INPUT`` (reason ``invalid_mfa_code``)."""
        try:
            return await info.context.runtime.identity.confirm_mfa_enrollment(
                _user_id(info),
                code,
                actor=info.context.require_principal().actor(),
                session_id=info.context.session_id,
            )
        except InvalidMfaCodeError as exc:
            raise BadRequestError(exc.message, param="code", code=exc.code) from None

    @strawberry.mutation(extensions=signed_in())
    async def disable_mfa(self, info: Ctx, code: str) -> UserUpdatePayload:
        """Turns your MFA off, proven by a current TOTP code or an unused recovery code.

        Wrong codes count as failed sign-ins: too many lock the account for a while.
        """
        user_id = _user_id(info)
        try:
            user = await info.context.runtime.identity.disable_mfa(
                user_id, code, actor=info.context.require_principal().actor()
            )
        except (AuthenticationError, BadRequestError) as exc:
            return UserUpdatePayload(user=None, errors=user_errors(exc))
        return UserUpdatePayload(user=User.of(user), errors=[])

    @strawberry.mutation(extensions=platform_role(*_ADMINS))
    async def create_user(
        self,
        info: Ctx,
        email: str,
        role: PlatformRole = PlatformRole.ORG_USER,
        display_name: str | None = None,
    ) -> UserPayload:
        """A new user with a temporary password (shown once) to change at first sign-in."""
        principal = info.context.require_principal()
        if not principal.outranks_or_equals(role):
            raise PermissionDeniedError("You cannot grant a role above your own.")
        password = generate_password()
        try:
            user = await info.context.runtime.identity.create_user(
                email, password, role, display_name=display_name, actor=principal.actor()
            )
        except DeltaLLMError as exc:
            return UserPayload(user=None, temporary_password=None, errors=user_errors(exc))
        return UserPayload(user=User.of(user), temporary_password=password, errors=[])

    @strawberry.mutation(extensions=platform_role(*_ADMINS))
    async def reset_password(self, info: Ctx, user_id: strawberry.ID) -> UserPayload:
        """A temporary password (shown once); the user's sessions end."""
        principal = info.context.require_principal()
        runtime = info.context.runtime
        try:
            password = await runtime.identity.reset_password(str(user_id), by=principal)
        except UserNotFoundError as exc:
            return UserPayload(user=None, temporary_password=None, errors=user_errors(exc))
        async with runtime.sessions() as session:
            user = await session.get(UserRow, str(user_id))
        assert user is not None
        return UserPayload(user=User.of(user), temporary_password=password, errors=[])

    @strawberry.mutation(extensions=platform_role(*_ADMINS))
    async def reset_mfa(self, info: Ctx, user_id: strawberry.ID) -> UserUpdatePayload:
        """Turns MFA off for a user who lost their authenticator (not your own account)."""
        principal = info.context.require_principal()
        try:
            user = await info.context.runtime.identity.reset_mfa(str(user_id), by=principal)
        except UserNotFoundError as exc:
            return UserUpdatePayload(user=None, errors=user_errors(exc))
        return UserUpdatePayload(user=User.of(user), errors=[])

    @strawberry.mutation(extensions=platform_role(*_ADMINS))
    async def set_user_role(
        self, info: Ctx, user_id: strawberry.ID, role: PlatformRole
    ) -> UserUpdatePayload:
        """Changes a user's platform role; their next request already has it.

        Nobody grants a role above their own, changes their own role, or changes someone
        above their own role. Demoting the last unblocked platform_admin is refused
        (``last_admin``).
        """
        principal = info.context.require_principal()
        try:
            user = await info.context.runtime.identity.set_platform_role(
                str(user_id), role, by=principal
            )
        except (UserNotFoundError, LastAdminError) as exc:
            return UserUpdatePayload(user=None, errors=user_errors(exc))
        return UserUpdatePayload(user=User.of(user), errors=[])

    @strawberry.mutation(extensions=platform_role(*_ADMINS))
    async def set_user_blocked(
        self, info: Ctx, user_id: strawberry.ID, blocked: bool
    ) -> UserUpdatePayload:
        """Blocks (or unblocks) a user: their sessions stop working at once. Blocking the
        last unblocked platform_admin is refused (``last_admin``)."""
        principal = info.context.require_principal()
        runtime = info.context.runtime
        try:
            user = await runtime.identity.set_blocked(str(user_id), blocked, by=principal)
        except (UserNotFoundError, LastAdminError) as exc:
            return UserUpdatePayload(user=None, errors=user_errors(exc))
        await runtime.invalidator.publish(None)
        return UserUpdatePayload(user=User.of(user), errors=[])
