"""Changing model deployments (platform admins only); every instance reloads within 1 s."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.errors import BadRequestError
from app.users.models import PlatformRole
from graphql_schema.context import GraphQLContext
from graphql_schema.deployments.types import (
    DeleteModelDeploymentPayload,
    ModelDeployment,
    ModelDeploymentPayload,
)
from graphql_schema.keys.errors import user_errors
from graphql_schema.permissions import platform_role

__all__ = ["DeploymentMutations"]

Ctx = Info[GraphQLContext, Any]


@strawberry.input
class CreateModelDeploymentInput:
    model_name: str
    params: JSON = strawberry.field(description="deltallm_params, as in config.yaml")
    model_info: JSON | None = None


@strawberry.input
class UpdateModelDeploymentInput:
    """Fields given replace the stored ones. Without ``api_key`` in ``params`` the stored
    key is kept (it must be given again when ``api_base`` changes); ``null`` removes it."""

    model_name: str | None = None
    params: JSON | None = None
    model_info: JSON | None = None


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequestError(f"{name} must be an object", param=name)
    return value


@strawberry.type
class DeploymentMutations:
    @strawberry.mutation(extensions=platform_role(PlatformRole.PLATFORM_ADMIN))
    async def create_model_deployment(
        self, info: Ctx, input: CreateModelDeploymentInput
    ) -> ModelDeploymentPayload:
        principal = info.context.require_principal()
        try:
            view = await info.context.runtime.deployments.create(
                principal.actor(),
                input.model_name,
                _object(input.params, "params"),
                _object(input.model_info if input.model_info is not None else {}, "model_info"),
            )
        except BadRequestError as exc:
            return ModelDeploymentPayload(deployment=None, errors=user_errors(exc))
        return ModelDeploymentPayload(deployment=ModelDeployment.of(view), errors=[])

    @strawberry.mutation(extensions=platform_role(PlatformRole.PLATFORM_ADMIN))
    async def update_model_deployment(
        self, info: Ctx, id: strawberry.ID, input: UpdateModelDeploymentInput
    ) -> ModelDeploymentPayload:
        principal = info.context.require_principal()
        try:
            view = await info.context.runtime.deployments.update(
                principal.actor(),
                str(id),
                model_name=input.model_name,
                params=_object(input.params, "params") if input.params is not None else None,
                model_info=(
                    _object(input.model_info, "model_info")
                    if input.model_info is not None
                    else None
                ),
            )
        except BadRequestError as exc:
            return ModelDeploymentPayload(deployment=None, errors=user_errors(exc))
        return ModelDeploymentPayload(deployment=ModelDeployment.of(view), errors=[])

    @strawberry.mutation(extensions=platform_role(PlatformRole.PLATFORM_ADMIN))
    async def delete_model_deployment(
        self, info: Ctx, id: strawberry.ID
    ) -> DeleteModelDeploymentPayload:
        principal = info.context.require_principal()
        view = await info.context.runtime.deployments.delete(principal.actor(), str(id))
        return DeleteModelDeploymentPayload(deleted_id=strawberry.ID(view.id), errors=[])
