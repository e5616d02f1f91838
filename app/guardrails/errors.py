"""What a caller sees when a guardrail stops a call: never the text that matched."""

from __future__ import annotations

from app.errors import BadRequestError, DeltaLLMError

__all__ = ["APPLIED_HEADER", "GuardrailUnavailableError", "GuardrailViolation"]

APPLIED_HEADER = "x-deltallm-applied-guardrails"


class GuardrailViolation(BadRequestError):
    """A guardrail blocked the call (400, ``guardrail_violation``)."""

    default_code = "guardrail_violation"

    def __init__(self, guardrail: str, finding: str, *, applied: tuple[str, ...], where: str):
        super().__init__(
            f"Guardrail {guardrail} blocked this {where}: {finding} detected.",
            headers={APPLIED_HEADER: ",".join(applied)},
        )
        self.guardrail = guardrail
        self.finding = finding


class GuardrailUnavailableError(DeltaLLMError):
    """A guardrail set to fail closed could not be reached (503)."""

    status_code = 503
    error_type = "api_error"
    default_code = "guardrail_unavailable"
