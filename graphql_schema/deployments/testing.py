"""Deployment health as the router sees it, and testing one deployment (platform admins)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from app.deployments.testing import DeploymentTest
from app.errors import DeltaLLMError
from app.router.deployment import Deployment
from app.users.models import PlatformRole
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.errors import UserError, user_errors
from graphql_schema.permissions import platform_role

__all__ = ["DeploymentHealth", "DeploymentTestMutations", "RouterDeploymentQueries"]

Ctx = Info[GraphQLContext, Any]


def _moment(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


@strawberry.type
class DeploymentHealth:
    """``healthy`` and ``error`` come from the last health probe (null: never probed);
    ``coolingDownUntil`` is set while the router avoids the deployment after failures.
    Each gateway instance keeps its own view; this is the answering instance's."""

    healthy: bool | None
    last_probe_at: datetime | None
    error: str | None
    cooling_down_until: datetime | None
    in_flight: int
    latency_ms: float | None

    @classmethod
    def of(cls, d: Deployment) -> DeploymentHealth:
        left = d.cooldown_left()
        return cls(
            healthy=d.healthy if d.probed_at is not None else None,
            last_probe_at=_moment(d.probed_at),
            error=d.health_error,
            cooling_down_until=_moment(time.time() + left) if left > 0 else None,
            in_flight=d.in_flight,
            latency_ms=d.latency * 1000 if d.latency is not None else None,
        )


@strawberry.type
class RouterDeployment:
    """A deployment the router serves now: from config.yaml or from the database
    (``id`` is then the stored deployment's id)."""

    id: strawberry.ID
    model_name: str
    model: str
    health: DeploymentHealth

    @classmethod
    def of(cls, d: Deployment) -> RouterDeployment:
        return cls(
            id=strawberry.ID(d.id),
            model_name=d.model_name,
            model=d.params.model,
            health=DeploymentHealth.of(d),
        )


@strawberry.type
class DeploymentTestError:
    """The deployment's failure, as a /v1 caller would have seen it."""

    code: str
    message: str
    status_code: int


@strawberry.type
class TestModelDeploymentPayload:
    """The test ran when ``errors`` is empty: then ``answer`` holds the reply's text (chat
    and completion deployments) or ``error`` the failure, and ``latencyMs`` the time."""

    deployment: RouterDeployment | None
    answer: str | None
    latency_ms: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    error: DeploymentTestError | None
    errors: list[UserError]

    @classmethod
    def of(cls, test: DeploymentTest) -> TestModelDeploymentPayload:
        failure = test.error
        return cls(
            deployment=RouterDeployment.of(test.deployment),
            answer=test.answer,
            latency_ms=round(test.latency_ms, 1),
            prompt_tokens=test.usage.prompt_tokens if test.usage else None,
            completion_tokens=test.usage.completion_tokens if test.usage else None,
            error=DeploymentTestError(
                code=failure.code or "upstream_error",
                message=failure.message,
                status_code=failure.status_code,
            )
            if failure is not None
            else None,
            errors=[],
        )


@strawberry.type
class RouterDeploymentQueries:
    @strawberry.field(
        extensions=platform_role(PlatformRole.PLATFORM_ADMIN, PlatformRole.PLATFORM_CO_ADMIN)
    )
    def router_deployments(self, info: Ctx) -> list[RouterDeployment]:
        """Every deployment the router serves now (config.yaml's and the database's),
        with its health."""
        return [RouterDeployment.of(d) for d in info.context.runtime.router.deployments]


@strawberry.type
class DeploymentTestMutations:
    @strawberry.mutation(extensions=platform_role(PlatformRole.PLATFORM_ADMIN))
    async def test_model_deployment(
        self, info: Ctx, id: strawberry.ID
    ) -> TestModelDeploymentPayload:
        """Send one small request through the router to exactly this deployment (no
        retries, fallbacks or key budgets) and report the answer, latency and error."""
        principal = info.context.require_principal()
        runtime = info.context.runtime
        try:
            test = await runtime.deployment_tester.test(principal.actor(), str(id))
        except DeltaLLMError as exc:
            if exc.code not in ("deployment_not_found", "wildcard_deployment"):
                raise
            return TestModelDeploymentPayload(
                deployment=None,
                answer=None,
                latency_ms=None,
                prompt_tokens=None,
                completion_tokens=None,
                error=None,
                errors=user_errors(exc),
            )
        return TestModelDeploymentPayload.of(test)
