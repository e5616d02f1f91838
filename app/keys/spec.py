"""What a virtual key may do, and the checks every new or changed key passes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.db.types import MAX_BUDGET
from app.errors import BadRequestError
from app.limits.periods import parse_duration

__all__ = ["CACHE_CONTROLS", "POLICY_FIELDS", "SPEC_FIELDS", "KeySpec", "check_guardrail_names"]


SPEC_FIELDS = (
    "alias",
    "models",
    "aliases",
    "max_budget",
    "soft_budget",
    "budget_duration",
    "rpm_limit",
    "tpm_limit",
    "max_parallel_requests",
    "model_max_budget",
    "model_rpm_limit",
    "model_tpm_limit",
    "expires_at",
    "metadata_",
    "tags",
    "is_admin",
    "guardrails",
    "allow_request_guardrails",
    "allowed_cache_controls",
)

POLICY_FIELDS = ("guardrails", "allow_request_guardrails", "allowed_cache_controls")
"""Fields only those who manage the key's team may set: a key's holder cannot lift them."""

CACHE_CONTROLS = ("ttl", "s-maxage", "no-cache", "no-store", "namespace")
"""The per-request cache controls a key may be allowed (LiteLLM's names)."""

_GUARDRAIL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


MAX_LIST = 1000
"""Models, tags and aliases a key may name (a key allowed every model lists none)."""
MAX_NAME = 256


@dataclass
class KeySpec:
    """What a key may do. ``None`` means "no limit" (or "unchanged" in an update)."""

    alias: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    models: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    max_budget: Decimal | None = None
    soft_budget: Decimal | None = None
    budget_duration: str | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None
    model_max_budget: dict[str, Decimal] = field(default_factory=dict)
    model_rpm_limit: dict[str, int] = field(default_factory=dict)
    model_tpm_limit: dict[str, int] = field(default_factory=dict)
    expires_at: datetime | None = None
    metadata_: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    is_admin: bool = False
    guardrails: list[str] = field(default_factory=list)
    allow_request_guardrails: bool = False
    allowed_cache_controls: list[str] = field(default_factory=list)

    def validate(self, now: datetime) -> None:
        if self.expires_at is not None and self.expires_at <= now:
            raise BadRequestError("expires_at must be in the future", param="expires_at")
        for name, items, most in (
            ("models", self.models, MAX_LIST),
            ("tags", self.tags, MAX_LIST),
            ("aliases", list(self.aliases) + list(self.aliases.values()), 2 * MAX_LIST),
        ):
            if len(items) > most:
                raise BadRequestError(f"{name} may list at most {most} entries", param=name)
            if any(len(item) > MAX_NAME for item in items):
                raise BadRequestError(
                    f"{name} entries are at most {MAX_NAME} characters", param=name
                )
        if self.budget_duration is not None:
            try:
                parse_duration(self.budget_duration)
            except ValueError as exc:
                raise BadRequestError(str(exc), param="budget_duration") from None
        for name in ("max_budget", "soft_budget"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_BUDGET:
                raise BadRequestError(f"{name} must be between 0 and {MAX_BUDGET}", param=name)
        for name in ("rpm_limit", "tpm_limit", "max_parallel_requests"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise BadRequestError(f"{name} cannot be negative", param=name)
        if any(not 0 <= v <= MAX_BUDGET for v in self.model_max_budget.values()):
            raise BadRequestError(
                f"per-model budgets must be between 0 and {MAX_BUDGET}", param="model_max_budget"
            )
        self._validate_policy()

    def _validate_policy(self) -> None:
        check_guardrail_names(self.guardrails)
        unknown = sorted(set(self.allowed_cache_controls) - set(CACHE_CONTROLS))
        if unknown:
            raise BadRequestError(
                f"unknown cache controls {unknown}; use {list(CACHE_CONTROLS)}",
                param="allowed_cache_controls",
            )


def check_guardrail_names(names: list[str]) -> None:
    """At most 64 well-formed names (whether each is defined is checked when a call runs:
    a policy may be removed after a key names it)."""
    if len(names) > 64:
        raise BadRequestError("guardrails may list at most 64 names", param="guardrails")
    bad = [name for name in names if not _GUARDRAIL_NAME.match(name)]
    if bad:
        raise BadRequestError(
            f"guardrail names are 1-64 letters, digits, '_', '.' or '-', not {bad[0]!r}",
            param="guardrails",
        )
