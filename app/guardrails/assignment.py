"""Which guardrails a call runs: every ``default_on`` one, the key's and its team's, the
model group's deployments', and those the request names where its key allows it.

A name assigned but not defined refuses the call: a guardrail someone meant to run is
never silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from app.errors import BadRequestError, DeltaLLMError, PermissionDeniedError
from app.keys.identity import KeyIdentity
from app.router.deployment import Deployment

__all__ = ["GuardrailNotDefinedError", "assigned_names", "request_names"]


class GuardrailNotDefinedError(DeltaLLMError):
    """A key, team or deployment names a guardrail no policy defines: the call is refused
    (fail closed) with a 503 until an admin defines it or removes the name."""

    status_code = 503
    error_type = "service_unavailable_error"
    default_code = "guardrail_not_defined"


def request_names(identity: KeyIdentity | None, body: dict[str, Any]) -> tuple[str, ...]:
    """The ``guardrails`` a request names (removed from the body: never sent upstream)."""
    if "guardrails" not in body:
        return ()
    value = body.pop("guardrails")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadRequestError("`guardrails` must be a list of guardrail names.", param="guardrails")
    if value and identity is not None and not identity.allow_request_guardrails:
        raise PermissionDeniedError(
            "This key may not choose guardrails per request (allow_request_guardrails).",
            param="guardrails",
            code="guardrails_not_allowed",
        )
    return tuple(value)


def assigned_names(
    default_on: Sequence[str],
    identity: KeyIdentity | None,
    deployments: Iterable[Deployment],
    requested: Sequence[str],
) -> tuple[str, ...]:
    """Every name the call runs, in order, each once."""
    names = list(default_on)
    if identity is not None:
        names += identity.guardrails
    for deployment in deployments:
        names += deployment.params.guardrails
    names += requested
    return tuple(dict.fromkeys(names))


def undefined(names: Iterable[str], defined: Iterable[str], requested: Sequence[str]) -> None:
    """Refuse names no policy defines: 400 for the request's own, 500 for assigned ones."""
    known = set(defined)
    for name in names:
        if name in known:
            continue
        if name in requested:
            raise BadRequestError(
                f"Unknown guardrail {name}.", param="guardrails", code="unknown_guardrail"
            )
        raise GuardrailNotDefinedError(
            f"Guardrail {name} is assigned to this call but not defined; the call was refused."
        )
