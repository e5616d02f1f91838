"""Reading model deployments: any signed-in caller may see which models exist."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.deployments.service import DeploymentService
from graphql_schema.common import Connection, connection
from graphql_schema.context import GraphQLContext
from graphql_schema.deployments.types import ModelDeployment
from graphql_schema.permissions import signed_in

__all__ = ["DeploymentQueries"]

Ctx = Info[GraphQLContext, Any]


@strawberry.type
class DeploymentQueries:
    @strawberry.field(extensions=signed_in())
    async def model_deployments(
        self,
        info: Ctx,
        first: int = 50,
        after: str | None = None,
        model_name: str | None = None,
    ) -> Connection[ModelDeployment]:
        """Deployments stored in the database, oldest first (config.yaml's are not listed
        here); ``modelName`` keeps one model group's."""
        page = await info.context.runtime.deployments.page(
            first=first, after=after, model_name=model_name
        )
        return connection(page, lambda row: ModelDeployment.of(DeploymentService.view(row)))
