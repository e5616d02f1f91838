"""Why would a key's call be refused? The limits in force at every level, and a dry run.

Everything here goes through the data plane's own pieces: the identity a request would
load, the levels :class:`~app.gateway.admission.Admitter` admits at, the key checks of
:func:`~app.gateway.auth.check_usable`, the gateway's model authorization and cost
estimate, and the counter store's read-only ``peek``. Nothing is reserved, nothing is
sent to a provider. End-user budgets depend on the request, so they are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import BadRequestError, DeltaLLMError, NotFoundError
from app.gateway.admission import key_levels, refusal
from app.gateway.auth import check_usable
from app.gateway.pipeline import Gateway
from app.keys.identity import KeyIdentity, ScopeLimits
from app.keys.lookup import load_identity
from app.keys.models import VirtualKey
from app.limits.counters import WINDOW_S, LevelUsage
from app.limits.periods import parse_duration
from app.providers.base import Operation

__all__ = [
    "AdmissionExplainer",
    "AdmissionReport",
    "DryRun",
    "LevelReport",
    "Refusal",
    "level_report",
]

LimitKind = Literal["rpm", "tpm", "parallel", "budget"]
_KINDS: tuple[LimitKind, ...] = ("rpm", "tpm", "parallel", "budget")


@dataclass(frozen=True, slots=True)
class LevelReport:
    """One level's limits and what is used of them now. ``kind`` is ``key``, ``user``,
    ``team``, ``org`` or ``keymodel`` (a key's limits on one model group)."""

    kind: str
    owner_id: str
    model: str | None
    limits: ScopeLimits
    usage: LevelUsage
    spent: Decimal
    window_resets_at: datetime
    period_start: datetime | None
    period_end: datetime | None

    def remaining(self, limit: LimitKind) -> Decimal | None:
        """What is left of ``limit`` now (None: not limited here)."""
        level, usage = self.limits, self.usage
        if limit == "rpm" and level.rpm is not None:
            return Decimal(max(0, level.rpm - usage.requests))
        if limit == "tpm" and level.tpm is not None:
            return Decimal(max(0, level.tpm - usage.tokens))
        if limit == "parallel" and level.max_parallel is not None:
            return Decimal(max(0, level.max_parallel - usage.in_flight))
        budget = level.budget
        if limit == "budget" and budget is not None and budget.max_budget is not None:
            return max(Decimal(0), budget.max_budget - self.spent - usage.reserved)
        return None


@dataclass(frozen=True, slots=True)
class Refusal:
    """The first rule that would refuse: the error code and message the caller would get,
    and for limits the level and limit that refused."""

    code: str
    message: str
    level: LevelReport | None = None
    limit: LimitKind | None = None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class DryRun:
    model: str
    model_group: str | None
    prompt_tokens: int
    output_tokens: int
    reserve: Decimal
    refusal: Refusal | None

    @property
    def admitted(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True, slots=True)
class AdmissionReport:
    key_id: str
    checked_at: datetime
    levels: tuple[LevelReport, ...]
    tightest: tuple[tuple[LimitKind, LevelReport], ...]
    """Per limit, the level with the least left (ties: the smaller limit)."""
    dry_run: DryRun | None


class AdmissionExplainer:
    def __init__(self, gateway: Gateway, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._gateway = gateway
        self._sessions = sessions

    async def explain(
        self,
        key_id: str,
        *,
        model: str | None = None,
        prompt_tokens: int = 0,
        max_output_tokens: int | None = None,
    ) -> AdmissionReport:
        """The key's levels now and, with ``model``, a dry run of a call to it."""
        if prompt_tokens < 0:
            raise BadRequestError("must not be negative", param="estimated_tokens")
        if max_output_tokens is not None and max_output_tokens <= 0:
            raise BadRequestError("must be positive", param="max_output_tokens")
        admitter = self._gateway.admitter
        async with self._sessions() as session:
            key = await session.get(VirtualKey, key_id)
        if key is None:
            raise NotFoundError(f"no key {key_id}", param="key_id", code="key_not_found")
        now = admitter.now()
        identity = await load_identity(self._sessions, key.key_hash, now)
        if identity is None:  # deleted between the two reads
            raise NotFoundError(f"no key {key_id}", param="key_id", code="key_not_found")
        levels = [*identity.levels, *identity.model_levels.values()]
        _, peek = await admitter.peek(levels, tokens=0, reserve=Decimal(0))
        reports = tuple(
            level_report(level, usage, now) for level, usage in zip(levels, peek.usage, strict=True)
        )
        dry_run = None
        if model is not None:
            dry_run = await self._dry_run(identity, model, prompt_tokens, max_output_tokens)
        return AdmissionReport(key.id, now, reports, _tightest(reports), dry_run)

    async def _dry_run(
        self, identity: KeyIdentity, model: str, prompt: int, max_output: int | None
    ) -> DryRun:
        gateway = self._gateway
        admitter = gateway.admitter
        group = None
        try:
            check_usable(identity, admitter.now())
            group = gateway.authorize_model(identity, model)
            body = {"max_tokens": max_output} if max_output else {}
            estimate = gateway.estimate(group, Operation.CHAT, body, prompt)
        except DeltaLLMError as exc:
            return DryRun(model, group, prompt, 0, Decimal(0), Refusal(exc.code or "", exc.message))
        levels = key_levels(identity, estimate.model_group)
        limits, peek = await admitter.peek(levels, tokens=prompt, reserve=estimate.reserve)
        refused = None
        if not peek.result.admitted:
            error = refusal(peek.result)
            index = [lv.scope for lv in limits].index(peek.result.scope or "")
            report = level_report(levels[index], peek.usage[index], admitter.now())
            refused = Refusal(
                error.code or "",
                error.message,
                report,
                peek.result.reason,
                peek.result.retry_after,
            )
        return DryRun(
            model,
            estimate.model_group,
            prompt,
            estimate.output_tokens,
            estimate.reserve,
            refused,
        )


def level_report(level: ScopeLimits, usage: LevelUsage, now: datetime) -> LevelReport:
    """``level``'s limits and what is used of them at ``now``."""
    kind, _, rest = level.scope.partition(":")
    owner, model = rest, None
    if kind == "keymodel":  # keymodel:<key id>:<model group>
        owner, _, model = rest.partition(":")
    budget = level.budget
    start = end = None
    spent = usage.spent
    if budget is not None:
        if budget.duration:
            _, start, end = parse_duration(budget.duration).window(now)
        if spent is None:
            spent = budget.seed(now)
    minute_end = datetime.fromtimestamp((now.timestamp() // WINDOW_S + 1) * WINDOW_S, UTC)
    return LevelReport(
        kind=kind,
        owner_id=owner,
        model=model,
        limits=level,
        usage=usage,
        spent=spent if spent is not None else Decimal(0),
        window_resets_at=minute_end,
        period_start=start,
        period_end=end,
    )


def _tightest(reports: tuple[LevelReport, ...]) -> tuple[tuple[LimitKind, LevelReport], ...]:
    chosen = []
    for limit in _KINDS:
        limited = [(r.remaining(limit), _cap(r, limit), r) for r in reports]
        ranked = [(left, cap, r) for left, cap, r in limited if left is not None]
        if ranked:
            chosen.append((limit, min(ranked, key=lambda x: (x[0], x[1]))[2]))
    return tuple(chosen)


def _cap(report: LevelReport, limit: LimitKind) -> Decimal:
    level = report.limits
    value: int | Decimal | None = {
        "rpm": level.rpm,
        "tpm": level.tpm,
        "parallel": level.max_parallel,
        "budget": level.budget.max_budget if level.budget else None,
    }[limit]
    return Decimal(value or 0)
