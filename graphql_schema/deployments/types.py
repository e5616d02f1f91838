"""GraphQL types of model deployments (never their API keys)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from app.deployments.service import DeploymentView
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
