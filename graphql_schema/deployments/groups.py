"""The model groups the router serves now: what a key's ``models`` may name."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from graphql_schema.context import GraphQLContext
from graphql_schema.permissions import signed_in

__all__ = ["ModelGroup", "ModelGroupQueries"]

Ctx = Info[GraphQLContext, Any]


@strawberry.type
class ModelGroup:
    """A model name callers may ask for; ``aliasOf`` names the group an alias stands for."""

    name: str
    alias_of: str | None


@strawberry.type
class ModelGroupQueries:
    @strawberry.field(extensions=signed_in())
    def model_groups(self, info: Ctx) -> list[ModelGroup]:
        """Every model group the router serves (config.yaml's and the database's) and every
        alias, by name. Names only, so any signed-in caller may read them; the list lives
        in memory and is as long as the router's configuration, so it is not paged."""
        router = info.context.runtime.router
        return sorted(
            (
                ModelGroup(name=name, alias_of=router.aliases.get(name))
                for name in router.model_names()
            ),
            key=lambda group: group.name,
        )
