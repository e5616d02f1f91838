"""Creating and changing virtual keys; the secret is returned once, in the payload."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.errors import BadRequestError
from app.keys.service import KeySpec
from app.users.models import OrgRole
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.types import UserError, VirtualKey
from graphql_schema.permissions import org_role

__all__ = ["KeyMutations"]

Ctx = Info[GraphQLContext, Any]
_ADMINS = (OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN)


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
    return KeySecretPayload(
        key=None,
        secret=None,
        errors=[UserError(field=exc.param, message=exc.message, code=exc.code or "invalid")],
    )


@strawberry.type
class KeyMutations:
    @strawberry.mutation(extensions=org_role(*_ADMINS, of="teamId"))
    async def create_key(self, info: Ctx, input: CreateKeyInput) -> KeySecretPayload:
        principal = info.context.require_principal()
        spec = KeySpec(
            alias=input.alias,
            team_id=str(input.team_id) if input.team_id else None,
            user_id=str(input.user_id) if input.user_id else None,
            models=list(input.models),
            max_budget=input.max_budget,
            soft_budget=input.soft_budget,
            budget_duration=input.budget_duration,
            rpm_limit=input.rpm_limit,
            tpm_limit=input.tpm_limit,
            max_parallel_requests=input.max_parallel_requests,
            expires_at=input.expires_at,
            tags=list(input.tags),
        )
        try:
            created = await info.context.runtime.keys.create(
                spec, created_by=principal.id, actor=principal.actor()
            )
        except BadRequestError as exc:
            return _user_error(exc)
        return KeySecretPayload(key=VirtualKey.of(created.key), secret=created.secret, errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="keyId"))
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
        for name in ("models", "tags"):
            if name in changes and changes[name] is None:
                changes[name] = []
        try:
            row = await info.context.runtime.keys.update(
                str(key_id), actor=principal.actor(), **changes
            )
        except BadRequestError as exc:
            return UpdateKeyPayload(key=None, errors=_user_error(exc).errors)
        return UpdateKeyPayload(key=VirtualKey.of(row), errors=[])

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="keyId"))
    async def revoke_key(self, info: Ctx, key_id: strawberry.ID) -> VirtualKey:
        principal = info.context.require_principal()
        row = await info.context.runtime.keys.revoke(str(key_id), actor=principal.actor())
        return VirtualKey.of(row)

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="keyId"))
    async def set_key_blocked(self, info: Ctx, key_id: strawberry.ID, blocked: bool) -> VirtualKey:
        principal = info.context.require_principal()
        row = await info.context.runtime.keys.set_blocked(
            str(key_id), blocked, actor=principal.actor()
        )
        return VirtualKey.of(row)

    @strawberry.mutation(extensions=org_role(*_ADMINS, of="keyId"))
    async def regenerate_key(
        self, info: Ctx, key_id: strawberry.ID, grace_seconds: int | None = None
    ) -> KeySecretPayload:
        principal = info.context.require_principal()
        if grace_seconds is not None and grace_seconds < 0:
            return _user_error(BadRequestError("must not be negative", param="graceSeconds"))
        grace = timedelta(seconds=grace_seconds) if grace_seconds else None
        try:
            created = await info.context.runtime.keys.regenerate(
                str(key_id), grace=grace, actor=principal.actor()
            )
        except BadRequestError as exc:
            return _user_error(exc)
        return KeySecretPayload(key=VirtualKey.of(created.key), secret=created.secret, errors=[])
