"""Creating and changing virtual keys; the secret is returned once, in the payload.

Org owners and admins and the team's team_admins manage every key of a team; a
team_developer creates keys for themselves and changes only their own. Nobody but a
platform admin gives a key more than its team and organization have (:mod:`app.keys.caps`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.auth.principal import Principal
from app.errors import BadRequestError, NotFoundError, PermissionDeniedError
from app.keys.models import VirtualKey as KeyRow
from app.keys.service import KeyCheck, KeySpec
from app.keys.spec import POLICY_FIELDS
from app.users.models import OrgRole, TeamRole
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.types import UserError, VirtualKey, user_errors
from graphql_schema.permissions import org_role

__all__ = ["KeyMutations"]

Ctx = Info[GraphQLContext, Any]
_ADMINS = (OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN)
_KEY_MAKERS = (TeamRole.TEAM_ADMIN, TeamRole.TEAM_DEVELOPER)


@strawberry.input
class CreateKeyInput:
    alias: str | None = None
    team_id: strawberry.ID | None = None
    user_id: strawberry.ID | None = None
    models: list[str] = strawberry.field(default_factory=list)
    max_budget: Decimal | None = None
    soft_budget: Decimal | None = None
    budget_duration: str | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None
    expires_at: datetime | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    guardrails: list[str] = strawberry.field(
        default_factory=list,
        description="Guardrails every call with the key runs (besides the team's and the "
        "default ones). Setting it needs the right to manage the key's team.",
    )
    allow_request_guardrails: bool = strawberry.field(
        default=False, description="Whether a request may name extra guardrails."
    )
    allowed_cache_controls: list[str] = strawberry.field(
        default_factory=list,
        description="Per-request cache controls the key may use: ttl, s-maxage, no-cache, "
        "no-store, namespace.",
    )


@strawberry.input
class UpdateKeyInput:
    """Only the fields sent change; ``null`` removes a limit."""

    alias: str | None = strawberry.UNSET
    models: list[str] | None = strawberry.UNSET
    max_budget: Decimal | None = strawberry.UNSET
    soft_budget: Decimal | None = strawberry.UNSET
    budget_duration: str | None = strawberry.UNSET
    rpm_limit: int | None = strawberry.UNSET
    tpm_limit: int | None = strawberry.UNSET
    max_parallel_requests: int | None = strawberry.UNSET
    expires_at: datetime | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    guardrails: list[str] | None = strawberry.UNSET
    allow_request_guardrails: bool | None = strawberry.UNSET
    allowed_cache_controls: list[str] | None = strawberry.UNSET


@strawberry.type
class UpdateKeyPayload:
    key: VirtualKey | None
    errors: list[UserError]


@strawberry.type
class KeySecretPayload:
    """``secret`` is shown this once; it cannot be read again."""

    key: VirtualKey | None
    secret: str | None
    errors: list[UserError]


def _user_error(exc: BadRequestError) -> KeySecretPayload:
    return KeySecretPayload(key=None, secret=None, errors=user_errors(exc))


def _may_change(principal: Principal, *, own: bool = True, policy: bool = False) -> KeyCheck:
    """Run inside the change: team developers only touch their own keys of the team; a
    key's guardrails and cache controls (``policy``) only those who manage its team."""

    def check(key: KeyRow) -> None:
        principal.require_key_change(key.org_id, key.team_id, key.user_id, own=own)
        if policy and not principal.manages_team(key.org_id, key.team_id):
            raise PermissionDeniedError(
                "Only the team's admins and the organization's owners and admins set a key's "
                "guardrails and cache controls.",
                code="forbidden",
            )

    return check


async def _owner(info: Ctx, principal: Principal, input: CreateKeyInput) -> str | None:
    """The key's user: as asked, or the caller when a team developer names nobody."""
    if input.user_id is not None:
        return str(input.user_id)
    if input.team_id is None or principal.team_role(str(input.team_id)) is None:
        return None
    team = await info.context.loaders.team_by_id.load(str(input.team_id))
    if team is None or principal.manages_team(team.org_id, team.id):
        return None
    return principal.id


@strawberry.type
class KeyMutations:
    @strawberry.mutation(extensions=org_role(*_ADMINS, of="teamId", team_roles=_KEY_MAKERS))
    async def create_key(self, info: Ctx, input: CreateKeyInput) -> KeySecretPayload:
        """A key in a team (platform admins: anywhere); team developers make their own."""
        principal = info.context.require_principal()
        spec = KeySpec(
            alias=input.alias,
            team_id=str(input.team_id) if input.team_id else None,
            user_id=await _owner(info, principal, input),
            models=list(input.models),
            max_budget=input.max_budget,
            soft_budget=input.soft_budget,
            budget_duration=input.budget_duration,
            rpm_limit=input.rpm_limit,
            tpm_limit=input.tpm_limit,
            max_parallel_requests=input.max_parallel_requests,
            expires_at=input.expires_at,
            tags=list(input.tags),
            guardrails=list(input.guardrails),
            allow_request_guardrails=input.allow_request_guardrails,
            allowed_cache_controls=list(input.allowed_cache_controls),
        )
        policy = bool(spec.guardrails or spec.allow_request_guardrails)
        policy = policy or bool(spec.allowed_cache_controls)
        try:
            created = await info.context.runtime.keys.create(
                spec,
                created_by=principal.id,
                actor=principal.actor(),
                check=_may_change(principal, policy=policy),
                capped=not principal.is_platform_admin,
            )
        except BadRequestError as exc:
            return _user_error(exc)
        except NotFoundError as exc:
            if exc.param != "user_id":
                raise
            return _user_error(BadRequestError(exc.message, param="user_id", code="unknown_user"))
        return KeySecretPayload(key=VirtualKey.of(created.key), secret=created.secret, errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="keyId", team_roles=_KEY_MAKERS))
    async def update_key(
        self, info: Ctx, key_id: strawberry.ID, input: UpdateKeyInput
    ) -> UpdateKeyPayload:
        """Change a key's limits, budget, models or expiry; every instance sees it within 1 s."""
        principal = info.context.require_principal()
        changes = {
            name: value
            for name in UpdateKeyInput.__annotations__
            if (value := getattr(input, name)) is not strawberry.UNSET
        }
        for name in ("models", "tags", "guardrails", "allowed_cache_controls"):
            if name in changes and changes[name] is None:
                changes[name] = []
        if changes.get("allow_request_guardrails", False) is None:
            changes["allow_request_guardrails"] = False
        policy = any(name in changes for name in POLICY_FIELDS)
        try:
            row = await info.context.runtime.keys.update(
                str(key_id),
                actor=principal.actor(),
                check=_may_change(principal, policy=policy),
                capped=not principal.is_platform_admin,
                **changes,
            )
        except BadRequestError as exc:
            return UpdateKeyPayload(key=None, errors=user_errors(exc))
        return UpdateKeyPayload(key=VirtualKey.of(row), errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="keyId", team_roles=_KEY_MAKERS))
    async def revoke_key(self, info: Ctx, key_id: strawberry.ID) -> VirtualKey:
        principal = info.context.require_principal()
        row = await info.context.runtime.keys.revoke(
            str(key_id), actor=principal.actor(), check=_may_change(principal)
        )
        return VirtualKey.of(row)

    @strawberry.mutation(
        extensions=org_role(*_ADMINS, of="keyId", team_roles=(TeamRole.TEAM_ADMIN,))
    )
    async def set_key_blocked(self, info: Ctx, key_id: strawberry.ID, blocked: bool) -> VirtualKey:
        principal = info.context.require_principal()
        row = await info.context.runtime.keys.set_blocked(
            str(key_id), blocked, actor=principal.actor(), check=_may_change(principal, own=False)
        )
        return VirtualKey.of(row)

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="keyId", team_roles=_KEY_MAKERS))
    async def regenerate_key(
        self, info: Ctx, key_id: strawberry.ID, grace_seconds: int | None = None
    ) -> KeySecretPayload:
        principal = info.context.require_principal()
        if grace_seconds is not None and grace_seconds < 0:
            return _user_error(BadRequestError("must not be negative", param="graceSeconds"))
        grace = timedelta(seconds=grace_seconds) if grace_seconds else None
        try:
            created = await info.context.runtime.keys.regenerate(
                str(key_id), grace=grace, actor=principal.actor(), check=_may_change(principal)
            )
        except BadRequestError as exc:
            return _user_error(exc)
        return KeySecretPayload(key=VirtualKey.of(created.key), secret=created.secret, errors=[])
