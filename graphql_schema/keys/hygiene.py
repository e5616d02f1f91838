"""Key hygiene: flagged keys, and blocking or revoking many keys at once with a reason."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from app.auth.principal import Principal
from app.errors import BadRequestError
from app.keys.bulk import BulkChange
from app.keys.hygiene import HygieneFinding
from app.keys.hygiene import KeyIssue as Issue
from app.keys.models import VirtualKey as KeyRow
from app.keys.service import KeyCheck
from app.users.models import OrgRole, TeamRole
from graphql_schema.common import Connection, asks_for_total, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.errors import camel
from graphql_schema.keys.types import VirtualKey
from graphql_schema.permissions import org_role, signed_in

__all__ = ["KeyHygieneMutations", "KeyHygieneQueries"]

Ctx = Info[GraphQLContext, Any]
KeyIssue = strawberry.enum(Issue, name="KeyIssue")
_ADMINS = (OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN)


@strawberry.type
class FlaggedKey:
    """A key and what is wrong with it. ``lastActiveAt``: its last use, or its creation
    if never used. With BUDGET_BURN: the spend projected to the end of the budget period
    at the rate so far, and when the budget runs out at that rate."""

    key: VirtualKey
    issues: list[KeyIssue]  # type: ignore[valid-type]
    last_active_at: datetime
    blocked_owners: list[str]
    projected_spend: Decimal | None
    exhausts_at: datetime | None

    @classmethod
    def of(cls, f: HygieneFinding) -> FlaggedKey:
        return cls(
            key=VirtualKey.of(f.key),
            issues=list(f.issues),
            last_active_at=f.last_active,
            blocked_owners=list(f.blocked_owners),
            projected_spend=f.projected_spend,
            exhausts_at=f.exhausts_at,
        )


@strawberry.type
class KeyHygieneQueries:
    @strawberry.field(extensions=signed_in())
    async def key_hygiene(
        self,
        info: Ctx,
        first: int = 50,
        after: str | None = None,
        issues: list[KeyIssue] | None = None,  # type: ignore[valid-type]
        org_id: strawberry.ID | None = None,
        idle_days: int = 30,
    ) -> Connection[FlaggedKey]:
        """Live keys of the organizations the caller may see that are idle for
        ``idleDays``, never expire, may use every model, have a blocked owner, or burn
        through their budget before it resets; only those with one of ``issues`` when
        given. Oldest first."""
        principal = info.context.require_principal()
        page = await info.context.runtime.key_hygiene.page(
            org_ids=principal.visible_org_ids(),
            org_id=str(org_id) if org_id is not None else None,
            issues=frozenset(issues) if issues else None,
            idle_days=idle_days,
            first=first,
            after=after,
            count=asks_for_total(info),
        )
        return connection(page, FlaggedKey.of)


@strawberry.type
class BulkKeyError:
    """Why one key was not changed (``keyId`` null when the request as a whole is wrong)."""

    key_id: strawberry.ID | None
    field: str | None
    message: str
    code: str


@strawberry.type
class BulkKeysPayload:
    """``keys``: every listed key now in the asked state (changed now or before)."""

    keys: list[VirtualKey]
    errors: list[BulkKeyError]

    @classmethod
    def of(cls, change: BulkChange) -> BulkKeysPayload:
        return cls(
            keys=[VirtualKey.of(k) for k in change.keys],
            errors=[
                BulkKeyError(
                    key_id=strawberry.ID(f.key_id), field=None, message=f.message, code=f.code
                )
                for f in change.failures
            ],
        )

    @classmethod
    def invalid(cls, exc: BadRequestError) -> BulkKeysPayload:
        field = camel(exc.param) if exc.param else None
        error = BulkKeyError(key_id=None, field=field, message=exc.message, code="invalid")
        return cls(keys=[], errors=[error])


def _may_change(principal: Principal, *, own: bool) -> KeyCheck:
    def check(key: KeyRow) -> None:
        principal.require_key_change(key.org_id, key.team_id, key.user_id, own=own)

    return check


@strawberry.type
class KeyHygieneMutations:
    @strawberry.mutation(
        extensions=org_role(*_ADMINS, of="keyIds", team_roles=(TeamRole.TEAM_ADMIN,))
    )
    async def block_keys(
        self, info: Ctx, key_ids: list[strawberry.ID], reason: str
    ) -> BulkKeysPayload:
        """Block up to 100 keys at once; ``reason`` goes to each key's audit entry. The
        caller must be allowed to block every one of them, or nothing changes."""
        principal = info.context.require_principal()
        try:
            change = await info.context.runtime.keys.block_many(
                [str(i) for i in key_ids],
                reason,
                actor=principal.actor(),
                check=_may_change(principal, own=False),
            )
        except BadRequestError as exc:
            return BulkKeysPayload.invalid(exc)
        return BulkKeysPayload.of(change)

    @strawberry.mutation(
        extensions=org_role(
            *_ADMINS, of="keyIds", team_roles=(TeamRole.TEAM_ADMIN, TeamRole.TEAM_DEVELOPER)
        )
    )
    async def revoke_keys(
        self, info: Ctx, key_ids: list[strawberry.ID], reason: str
    ) -> BulkKeysPayload:
        """Revoke up to 100 keys at once; ``reason`` goes to each key's audit entry. The
        caller must be allowed to revoke every one of them (team developers: their own
        keys), or nothing changes."""
        principal = info.context.require_principal()
        try:
            change = await info.context.runtime.keys.revoke_many(
                [str(i) for i in key_ids],
                reason,
                actor=principal.actor(),
                check=_may_change(principal, own=True),
            )
        except BadRequestError as exc:
            return BulkKeysPayload.invalid(exc)
        return BulkKeysPayload.of(change)
