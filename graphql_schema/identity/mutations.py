"""Signing in and out, passwords and MFA (self-service), and user administration."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import select
from strawberry.types import Info

from app.audit.models import ActorType
from app.audit.service import Actor, record_now
from app.auth.results import SESSION_COOKIE, LoginOutcome
from app.db.types import utcnow
from app.errors import AuthenticationError, BadRequestError, DeltaLLMError, PermissionDeniedError
from app.users.models import PlatformRole
from app.users.models import User as UserRow
from graphql_schema.context import GraphQLContext
from graphql_schema.identity.types import LoginPayload, MfaEnrollment, User, UserPayload
from graphql_schema.keys.types import UserError
from graphql_schema.permissions import platform_role, public, signed_in

__all__ = ["IdentityMutations"]

Ctx = Info[GraphQLContext, Any]
_ADMINS = (PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)


def _error(exc: DeltaLLMError) -> list[UserError]:
    return [UserError(field=exc.param, message=exc.message, code=exc.code or "invalid")]


def _user_id(info: Ctx) -> str:
    principal = info.context.require_principal()
    if principal.kind is not ActorType.USER or principal.id is None:
        raise BadRequestError("Only signed-in users have passwords and MFA.", code="not_a_user")
    return principal.id


def _set_cookie(info: Ctx, token: str | None, max_age: int) -> None:
    response, request = info.context.response, info.context.request
    assert response is not None and request is not None
    response.set_cookie(
        SESSION_COOKIE,
        token or "",
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(extensions=public())
    async def login(
        self, info: Ctx, email: str, password: str, totp_code: str | None = None
    ) -> LoginPayload:
        """Sign in; on success the session cookie ``deltallm_session`` is set (HttpOnly)."""
        identity = info.context.runtime.identity
        request = info.context.request
        try:
            result = await identity.login(
                email,
                password,
                totp_code,
                user_agent=request.headers.get("user-agent") if request else None,
                ip=request.client.host if request and request.client else None,
            )
        except AuthenticationError as exc:
            return LoginPayload(
                ok=False, mfa_required=False, must_change_password=False, errors=_error(exc)
            )
        if result.outcome is LoginOutcome.MFA_REQUIRED:
            return LoginPayload(ok=False, mfa_required=True, must_change_password=False, errors=[])
        assert result.token is not None and result.expires_at is not None
        max_age = max(0, int((result.expires_at - utcnow()).total_seconds()))
        _set_cookie(info, result.token, max_age)
        await record_now(
            info.context.runtime.sessions,
            Actor(ActorType.USER, result.user_id),
            "session.login",
            "user",
            result.user_id,
        )
        return LoginPayload(
            ok=True, mfa_required=False, must_change_password=result.must_change_password, errors=[]
        )

    @strawberry.mutation(extensions=signed_in())
    async def logout(self, info: Ctx) -> bool:
        if info.context.session_token:
            await info.context.runtime.identity.logout(info.context.session_token)
        _set_cookie(info, None, 0)
        return True

    @strawberry.mutation(extensions=signed_in())
    async def change_password(self, info: Ctx, current: str, new: str) -> list[UserError]:
        user_id = _user_id(info)
        try:
            await info.context.runtime.identity.change_password(
                user_id, current, new, keep_session_id=info.context.session_id
            )
        except (AuthenticationError, BadRequestError) as exc:
            return _error(exc)
        await record_now(
            info.context.runtime.sessions,
            info.context.require_principal().actor(),
            "user.change_password",
            "user",
            user_id,
        )
        return []

    @strawberry.mutation(extensions=signed_in())
    async def start_mfa_enrollment(self, info: Ctx) -> MfaEnrollment:
        uri, secret = await info.context.runtime.identity.start_mfa_enrollment(_user_id(info))
        return MfaEnrollment(otpauth_uri=uri, secret=secret)

    @strawberry.mutation(extensions=signed_in())
    async def confirm_mfa_enrollment(self, info: Ctx, code: str) -> list[str]:
        """Turns MFA on; returns the recovery codes, shown this once."""
        user_id = _user_id(info)
        codes = await info.context.runtime.identity.confirm_mfa_enrollment(user_id, code)
        await record_now(
            info.context.runtime.sessions,
            info.context.require_principal().actor(),
            "user.enable_mfa",
            "user",
            user_id,
        )
        return codes

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
        identity = info.context.runtime.identity
        try:
            user = await identity.create_user(email, None, role, display_name=display_name)
            password = await identity.reset_password(user.id)
        except DeltaLLMError as exc:
            return UserPayload(user=None, temporary_password=None, errors=_error(exc))
        await record_now(
            info.context.runtime.sessions,
            principal.actor(),
            "user.create",
            "user",
            user.id,
            after={"email": user.email, "platform_role": role.value},
        )
        return UserPayload(user=User.of(user), temporary_password=password, errors=[])

    @strawberry.mutation(extensions=platform_role(*_ADMINS))
    async def reset_password(self, info: Ctx, user_id: strawberry.ID) -> UserPayload:
        principal = info.context.require_principal()
        identity = info.context.runtime.identity
        password = await identity.reset_password(str(user_id))
        async with info.context.runtime.sessions() as session:
            user = await session.get(UserRow, str(user_id))
        assert user is not None
        await record_now(
            info.context.runtime.sessions, principal.actor(), "user.reset_password", "user", user.id
        )
        return UserPayload(user=User.of(user), temporary_password=password, errors=[])

    @strawberry.mutation(extensions=platform_role(*_ADMINS))
    async def set_user_blocked(self, info: Ctx, user_id: strawberry.ID, blocked: bool) -> User:
        principal = info.context.require_principal()
        runtime = info.context.runtime
        async with runtime.sessions() as session, session.begin():
            user = (await session.exec(select(UserRow).where(UserRow.id == str(user_id)))).first()
            if user is None:
                raise BadRequestError(f"no user {user_id}", param="userId", code="not_found")
            if not principal.outranks_or_equals(user.platform_role):
                raise PermissionDeniedError("You cannot block someone above your own role.")
            user.blocked = blocked
        await runtime.invalidator.publish(None)
        await record_now(
            runtime.sessions,
            principal.actor(),
            "user.block" if blocked else "user.unblock",
            "user",
            user.id,
        )
        return User.of(user)
