"""What a virtual key may do, and the checks every new or changed key passes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.db.types import MAX_BUDGET
from app.errors import BadRequestError
from app.limits.periods import parse_duration

__all__ = ["SPEC_FIELDS", "KeySpec"]


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
)


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
