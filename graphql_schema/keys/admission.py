"""Why would a key's call be refused: its limits at every level, and an admission dry run."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from app.errors import BadRequestError
from app.gateway.explain import AdmissionReport, DryRun, LevelReport, Refusal
from app.users.models import OrgRole, TeamRole
from graphql_schema.context import GraphQLContext
from graphql_schema.permissions import org_role

__all__ = ["AdmissionQueries"]

Ctx = Info[GraphQLContext, Any]


@strawberry.enum
class AdmissionLevelKind(Enum):
    KEY = "key"
    USER = "user"
    TEAM = "team"
    ORGANIZATION = "org"
    KEY_MODEL = "keymodel"


@strawberry.enum
class AdmissionLimit(Enum):
    RPM = "rpm"
    TPM = "tpm"
    PARALLEL = "parallel"
    BUDGET = "budget"


@strawberry.type
class RateUsage:
    """A per-minute limit: used in the current epoch minute, left, and when it resets."""

    limit: int
    used: int
    remaining: int
    resets_at: datetime


@strawberry.type
class ParallelUsage:
    limit: int
    in_flight: int
    remaining: int


@strawberry.type
class BudgetUsage:
    """``spent`` is settled spend in the current period, ``reserved`` what live calls hold;
    ``resetsAt`` is null for a budget that never resets."""

    max_budget: Decimal | None
    soft_budget: Decimal | None
    budget_duration: str | None
    spent: Decimal
    reserved: Decimal
    remaining: Decimal | None
    period_start: datetime | None
    resets_at: datetime | None


@strawberry.type
class AdmissionLevel:
    """The limits of one level a key's calls are admitted at (``model`` for KEY_MODEL)."""

    kind: AdmissionLevelKind
    owner_id: strawberry.ID
    model: str | None
    rpm: RateUsage | None
    tpm: RateUsage | None
    parallel: ParallelUsage | None
    budget: BudgetUsage | None

    @classmethod
    def of(cls, r: LevelReport) -> AdmissionLevel:
        level, usage = r.limits, r.usage
        budget = level.budget

        def rate(limit: int | None, used: int) -> RateUsage | None:
            if limit is None:
                return None
            return RateUsage(
                limit=limit, used=used, remaining=max(0, limit - used), resets_at=r.window_resets_at
            )

        return cls(
            kind=AdmissionLevelKind(r.kind),
            owner_id=strawberry.ID(r.owner_id),
            model=r.model,
            rpm=rate(level.rpm, usage.requests),
            tpm=rate(level.tpm, usage.tokens),
            parallel=ParallelUsage(
                limit=level.max_parallel,
                in_flight=usage.in_flight,
                remaining=max(0, level.max_parallel - usage.in_flight),
            )
            if level.max_parallel is not None
            else None,
            budget=BudgetUsage(
                max_budget=budget.max_budget,
                soft_budget=budget.soft_budget,
                budget_duration=budget.duration,
                spent=r.spent,
                reserved=usage.reserved,
                remaining=r.remaining("budget"),
                period_start=r.period_start,
                resets_at=r.period_end,
            )
            if budget is not None
            else None,
        )


@strawberry.type
class TightestLimit:
    """The level with the least left of one limit (requests, tokens and parallel calls as
    whole numbers, budget in USD)."""

    limit: AdmissionLimit
    level: AdmissionLevel
    remaining: Decimal


@strawberry.type
class AdmissionRefusal:
    """What the caller would get: ``code`` and ``message`` of the error on /v1; ``level``
    and ``limit`` when a limit refused; ``retryAfterSeconds`` when waiting helps."""

    code: str
    message: str
    level: AdmissionLevel | None
    limit: AdmissionLimit | None
    retry_after_seconds: float | None

    @classmethod
    def of(cls, r: Refusal) -> AdmissionRefusal:
        return cls(
            code=r.code,
            message=r.message,
            level=AdmissionLevel.of(r.level) if r.level else None,
            limit=AdmissionLimit(r.limit) if r.limit else None,
            retry_after_seconds=r.retry_after,
        )


@strawberry.type
class AdmissionDryRun:
    """A chat call walked through admission without reserving anything or calling a
    provider: ``reserve`` is the most it could cost, what admission would hold."""

    model: str
    model_group: str | None
    estimated_tokens: int
    max_output_tokens: int
    reserve: Decimal
    admitted: bool
    refusal: AdmissionRefusal | None

    @classmethod
    def of(cls, d: DryRun) -> AdmissionDryRun:
        return cls(
            model=d.model,
            model_group=d.model_group,
            estimated_tokens=d.prompt_tokens,
            max_output_tokens=d.output_tokens,
            reserve=d.reserve,
            admitted=d.admitted,
            refusal=AdmissionRefusal.of(d.refusal) if d.refusal else None,
        )


@strawberry.type
class KeyAdmission:
    key_id: strawberry.ID
    checked_at: datetime
    levels: list[AdmissionLevel]
    tightest: list[TightestLimit]
    dry_run: AdmissionDryRun | None

    @classmethod
    def of(cls, report: AdmissionReport) -> KeyAdmission:
        return cls(
            key_id=strawberry.ID(report.key_id),
            checked_at=report.checked_at,
            levels=[AdmissionLevel.of(r) for r in report.levels],
            tightest=[
                TightestLimit(
                    limit=AdmissionLimit(limit),
                    level=AdmissionLevel.of(r),
                    remaining=r.remaining(limit) or Decimal(0),
                )
                for limit, r in report.tightest
            ],
            dry_run=AdmissionDryRun.of(report.dry_run) if report.dry_run else None,
        )


_READERS = tuple(OrgRole)
_TEAM = tuple(TeamRole)


@strawberry.type
class AdmissionQueries:
    @strawberry.field(extensions=org_role(*_READERS, of="keyId", team_roles=_TEAM))
    async def key_admission(
        self,
        info: Ctx,
        key_id: strawberry.ID,
        model: str | None = None,
        estimated_tokens: int = 0,
        max_output_tokens: int | None = None,
    ) -> KeyAdmission:
        """The limits and budgets in force for a key at key, user, team, organization and
        per-model level, with what is used and left now. With ``model``: a dry run of a
        chat call of ``estimatedTokens`` prompt tokens, by the data plane's own rules,
        naming the first rule that would refuse it. Visible to whoever may see the key."""
        if model is not None and not model.strip():
            raise BadRequestError("must not be empty", param="model")
        report = await info.context.runtime.admission.explain(
            str(key_id),
            model=model,
            prompt_tokens=estimated_tokens,
            max_output_tokens=max_output_tokens,
        )
        return KeyAdmission.of(report)
