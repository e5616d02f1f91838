"""Minting a short-lived playground key for the signed-in user."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.audit.models import ActorType
from app.errors import BadRequestError
from app.users.models import OrgRole, TeamRole
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.mutations import KeySecretPayload
from graphql_schema.keys.types import VirtualKey, user_errors
from graphql_schema.permissions import org_role

__all__ = ["PlaygroundMutations"]

Ctx = Info[GraphQLContext, Any]


@strawberry.type
class PlaygroundMutations:
    @strawberry.mutation(
        extensions=org_role(
            OrgRole.ORG_OWNER, OrgRole.ORG_ADMIN, of="teamId", team_roles=tuple(TeamRole)
        )
    )
    async def create_playground_key(
        self, info: Ctx, team_id: strawberry.ID | None = None, minutes: int = 15
    ) -> KeySecretPayload:
        """A key for the signed-in user that expires in ``minutes`` (at most 60), tagged
        ``playground``, in ``teamId`` (a team they belong to, so its and its
        organization's model lists and budgets apply; platform admins may name none).
        It is charged like any key; the secret is shown once. Called with the master key
        or an admin key, the key belongs to no user."""
        principal = info.context.require_principal()
        user_id = principal.id if principal.kind is ActorType.USER else None
        try:
            created = await info.context.runtime.playground_keys.mint(
                user_id=user_id,
                created_by=principal.id,
                email=principal.email,
                team_id=str(team_id) if team_id is not None else None,
                minutes=minutes,
                actor=principal.actor(),
                capped=not principal.is_platform_admin,
            )
        except BadRequestError as exc:
            return KeySecretPayload(key=None, secret=None, errors=user_errors(exc))
        return KeySecretPayload(key=VirtualKey.of(created.key), secret=created.secret, errors=[])
