"""Where the request path calls the guardrails: one cheap check when none apply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.errors import DeltaLLMError
from app.gateway.failures import failure_message
from app.gateway.settlement import CallFacts, Settler
from app.guardrails.assignment import assigned_names, request_names, undefined
from app.guardrails.registry import Guardrails
from app.guardrails.run import GuardRun, Observe
from app.keys.identity import KeyIdentity
from app.providers.base import Operation, Usage
from app.router.deployment import Deployment
from app.router.routed import RoutedResult
from app.spend.models import SpendStatus

if TYPE_CHECKING:
    from app.gateway.pipeline import Gateway, RequestContext

__all__ = ["begin", "finish", "plan"]

_CHECKED = frozenset(
    {
        Operation.CHAT,
        Operation.COMPLETION,
        Operation.EMBEDDING,
        Operation.MESSAGES,
        Operation.RESPONSES,
    }
)


def plan(
    guardrails: Guardrails | None,
    op: Operation,
    identity: KeyIdentity | None,
    deployments: list[Deployment],
    body: dict[str, Any],
    observe: Observe | None,
) -> GuardRun | None:
    """The guardrails this call runs (None when it runs none: the common, free case)."""
    if (
        not guardrails
        and "guardrails" not in body
        and not (identity is not None and identity.guardrails)
        and not any(d.params.guardrails for d in deployments)
    ):
        return None
    requested = request_names(identity, body)
    if op not in _CHECKED:
        return None
    defined = guardrails.guards if guardrails else {}
    names = assigned_names(
        guardrails.default_on if guardrails else (), identity, deployments, requested
    )
    if not names:
        return None
    undefined(names, defined, requested)
    return GuardRun([defined[n] for n in names], op, observe)


async def begin(
    gateway: Gateway, ctx: RequestContext, facts: CallFacts, model: str, body: dict[str, Any]
) -> GuardRun | None:
    """Plan the call's guardrails and run ``pre_call`` (masking ``body`` in place). A
    refusal is settled at no cost, so the reservation is released and the request log
    shows it."""
    metrics = gateway.settler.metrics
    try:
        run = plan(
            gateway.guardrails,
            ctx.op,
            facts.identity,
            gateway.router.resolve(model)[1],
            body,
            metrics.guardrail if metrics is not None else None,
        )
        if run is None:
            return None
        run.facts = facts
        ctx.guardrails, ctx.guard_run = run.names, run
        facts.guardrails = list(run.names)
        facts.redact = run.redact if run.masks_records else None
        await run.before(body)
    except DeltaLLMError as exc:
        _refused(gateway.settler, facts, None, None, exc)
        raise
    return run


async def finish(run: GuardRun, settler: Settler, facts: CallFacts, routed: RoutedResult) -> None:
    """``post_call`` on a whole answer; a block is settled with what the upstream used."""
    try:
        await run.after(routed)
    except DeltaLLMError as exc:
        _refused(settler, facts, routed.deployment, routed.result.usage, exc)
        raise


def _refused(
    settler: Settler,
    facts: CallFacts,
    deployment: Deployment | None,
    usage: Usage | None,
    exc: DeltaLLMError,
) -> None:
    settler.spawn(
        settler.settle(
            facts,
            deployment=deployment,
            usage=usage,
            status=SpendStatus.ERROR,
            status_code=exc.status_code,
            error_message=failure_message(exc),
        )
    )
