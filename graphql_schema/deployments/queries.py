"""Reading model deployments: any signed-in caller may see which models exist."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from graphql_schema.context import GraphQLContext
from graphql_schema.deployments.types import ModelDeployment
from graphql_schema.permissions import signed_in

__all__ = ["DeploymentQueries"]

Ctx = Info[GraphQLContext, Any]


@strawberry.type
class DeploymentQueries:
    @strawberry.field(extensions=signed_in())
    async def model_deployments(self, info: Ctx) -> list[ModelDeployment]:
        """Deployments stored in the database (config.yaml's are not listed here)."""
        views = await info.context.runtime.deployments.list()
        return [ModelDeployment.of(view) for view in views]
