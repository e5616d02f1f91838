"""GraphQL types of model deployments (never their API keys)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.deployments.service import DeploymentView
from app.errors import NotFoundError
from graphql_schema.context import GraphQLContext
from graphql_schema.deployments.testing import DeploymentHealth
from graphql_schema.keys.types import UserError

__all__ = ["DeleteModelDeploymentPayload", "ModelDeployment", "ModelDeploymentPayload"]


@strawberry.type
class ModelDeployment:
    """One deployment of a model group, stored in the database (``model_list`` shape)."""

    id: strawberry.ID
    model_name: str
    params: JSON = strawberry.field(description="deltallm_params without the API key")
    model_info: JSON
    has_api_key: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    def health(self, info: Info[GraphQLContext, Any]) -> DeploymentHealth | None:
        """As the router serving now sees it; null while the router has not loaded it."""
        try:
            deployment = info.context.runtime.router.deployment(str(self.id))
        except NotFoundError:
            return None
        return DeploymentHealth.of(deployment)

    @classmethod
    def of(cls, view: DeploymentView) -> ModelDeployment:
        return cls(
            id=strawberry.ID(view.id),
            model_name=view.model_name,
            params=JSON(view.params),
            model_info=JSON(view.model_info),
            has_api_key=view.has_api_key,
            created_by=view.created_by,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


@strawberry.type
class ModelDeploymentPayload:
    deployment: ModelDeployment | None
    errors: list[UserError]


@strawberry.type
class DeleteModelDeploymentPayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]
