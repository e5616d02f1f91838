"""The data-plane request path, between the REST transport and the router.

authenticate → authorize model → admit (limits, budgets) → pre-call guardrails
(:mod:`app.guardrails.hook`) → cache lookup (:mod:`app.cache`) → route (retries,
fallbacks), with during-call guardrails beside it → post-call guardrails → answer →
settle (in the background).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from app.errors import BadRequestError, DeltaLLMError, PermissionDeniedError, RateLimitError
from app.gateway.admission import Admitter
from app.gateway.auth import Authenticator, Caller, extract_key
from app.gateway.failures import failure_message
from app.gateway.metering import AnswerStream, BudgetGuard, MeteredStream
from app.gateway.settlement import CallFacts, Settler
from app.guardrails.hook import begin, finish
from app.guardrails.registry import Guardrails
from app.guardrails.run import GuardRun
from app.keys.identity import KeyIdentity
from app.limits.counters import AdmissionResult
from app.observability.request_ids import current_request_id, new_request_id
from app.observability.tracing import Tracing
from app.providers.base import FilePart, Operation, Usage
from app.router.deployment import Deployment
from app.router.routed import RoutedResult
from app.router.router import Router
from app.spend.models import SpendStatus
from app.spend.pricing import max_cost
from app.tokens import estimate_prompt_tokens

if TYPE_CHECKING:
    from app.cache.service import ResponseCache

__all__ = ["Estimate", "Gateway", "RequestContext"]

T = TypeVar("T")
_END_USER_HEADER = "x-deltallm-end-user-id"


@dataclass(slots=True)
class RequestContext:
    """One ``/v1`` request as it moves along the path."""

    request_id: str
    op: Operation
    started: float = field(default_factory=time.perf_counter)
    caller: Caller | None = None
    upstream_seconds: float = 0.0
    admission: AdmissionResult | None = None
    end_user: str | None = None
    headers: Mapping[str, str] | None = None
    settles: bool = False
    """Whether settlement accounts for this request (errors before admission it does not)."""
    guardrails: tuple[str, ...] = ()
    guard_run: GuardRun | None = None
    cache: str | None = None
    """``hit`` or ``miss`` when the response cache looked the request up."""

    @classmethod
    def begin(cls, op: Operation, headers: Mapping[str, str]) -> RequestContext:
        request_id = current_request_id() or new_request_id()
        end_user = headers.get(_END_USER_HEADER)
        return cls(request_id=request_id, op=op, end_user=end_user, headers=headers)

    def overhead_ms(self) -> float:
        return max(0.0, (time.perf_counter() - self.started - self.upstream_seconds) * 1000)


@dataclass(frozen=True, slots=True)
class Estimate:
    """What admission reserves for a call: its model group, the output tokens it may
    produce, the most it can cost, and the highest output price among the deployments."""

    model_group: str
    output_tokens: int
    reserve: Decimal
    output_price: Decimal


class Gateway:
    """Serves authenticated, admitted, routed and settled calls. One per process."""

    def __init__(
        self,
        router: Router,
        authenticator: Authenticator,
        admitter: Admitter,
        settler: Settler,
        *,
        max_reserved_output_tokens: int = 4096,
    ) -> None:
        self.router = router
        self.authenticator = authenticator
        self.admitter = admitter
        self.settler = settler
        self._max_output = max_reserved_output_tokens
        self.tracing: Tracing | None = None
        self.guardrails: Guardrails | None = None
        self.cache: ResponseCache | None = None

    def set_clock(self, clock: Callable[[], float]) -> None:
        """One wall clock for admission, settlement, streamed-budget extensions and the
        spend records' start and end times, so a reservation is judged by the same time
        that made it and a test decides which day (and hour) its traffic falls in."""
        self.admitter.clock = clock
        self.settler.clock = clock

    async def authenticate(self, ctx: RequestContext, headers: Mapping[str, str]) -> Caller:
        ctx.caller = await self.authenticator.authenticate(extract_key(headers))
        return ctx.caller

    def authorize_model(self, identity: KeyIdentity | None, model: str) -> str:
        """The model the key asks for after its aliases, if the key may use it and the
        router knows it (403 or 404 otherwise)."""
        if identity is not None:
            model = identity.aliases.get(model, model)
            if not identity.allows(model):
                raise PermissionDeniedError(
                    f"This key is not allowed to use the model `{model}`.",
                    param="model",
                    code="model_not_allowed",
                )
        self.router.resolve(model)
        return model

    def _authorize(self, ctx: RequestContext, body: dict[str, Any]) -> str:
        """The model group the caller may use, after the key's own aliases."""
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequestError("`model` is required.", param="model", code="missing_model")
        identity = ctx.caller.identity if ctx.caller else None
        model = self.authorize_model(identity, model)
        if identity is not None:
            body["model"] = model
        user = body.get("user")
        if ctx.end_user is None and isinstance(user, str) and user:
            ctx.end_user = user
        return model

    def _output_cap(self, body: Mapping[str, Any], deployments: list[Deployment]) -> int:
        """The most output tokens a call may produce: per choice, times ``n`` choices."""
        choices = body.get("n")
        return self._output_per_choice(body, deployments) * (
            choices if isinstance(choices, int) and choices > 0 else 1
        )

    def _output_per_choice(self, body: Mapping[str, Any], deployments: list[Deployment]) -> int:
        for name in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
            value = body.get(name)
            if isinstance(value, int) and value > 0:
                return value
        caps = [d.info.max_output_tokens for d in deployments if d.info.max_output_tokens]
        return min([self._max_output, *caps])

    def estimate(
        self, model: str, op: Operation, body: Mapping[str, Any], prompt_tokens: int
    ) -> Estimate:
        """What admitting a call of ``op`` to ``model`` with this body would reserve."""
        group, deployments = self.router.resolve(model)
        output = self._output_cap(body, deployments) if op in _GENERATES else 0
        prices = [self.settler.price(d, group) for d in deployments]
        reserve = max((max_cost(prompt_tokens, output, p) for p in prices), default=Decimal(0))
        output_price = max((p.output for p in prices if p is not None), default=Decimal(0))
        return Estimate(group, output, reserve, output_price)

    async def _admit(
        self, ctx: RequestContext, model: str, body: dict[str, Any]
    ) -> tuple[CallFacts, int, int, Decimal]:
        identity = ctx.caller.identity if ctx.caller else None
        prompt = estimate_prompt_tokens(body)
        estimate = self.estimate(model, ctx.op, body, prompt)
        group, output, reserve = estimate.model_group, estimate.output_tokens, estimate.reserve
        output_price = estimate.output_price
        tags = (
            body.get("metadata", {}).get("tags") if isinstance(body.get("metadata"), dict) else None
        )
        facts = CallFacts(
            request_id=ctx.request_id,
            op=ctx.op,
            identity=identity,
            model_group=group,
            end_user=ctx.end_user,
            tags=[str(t) for t in tags] if isinstance(tags, list) else [],
            started_at=self.admitter.now(),
            started=ctx.started,
            key_model=group if identity is not None and group in identity.model_levels else None,
        )
        try:
            ctx.admission = await self.admitter.admit(
                ctx.request_id, identity, group, ctx.end_user, tokens=prompt, reserve=reserve
            )
        except (RateLimitError, PermissionDeniedError) as exc:
            # Refused calls are logged too (at no cost): the request log shows every 429.
            ctx.settles = True
            self.settler.spawn(
                self.settler.settle(
                    facts,
                    deployment=None,
                    usage=None,
                    status=SpendStatus.ERROR,
                    status_code=exc.status_code,
                    error_message=failure_message(exc),
                )
            )
            raise
        ctx.settles = True
        facts.reservation = ctx.admission.reservation if ctx.admission else None
        if self.settler.metrics is not None:
            self.settler.metrics.admitted(identity, ctx.admission)
        return facts, prompt, output, output_price

    async def _routed(self, ctx: RequestContext, facts: CallFacts, routing: Awaitable[T]) -> T:
        """Await the router, timing the upstream; a failed or abandoned call is settled at no
        cost so its reservation and parallel slot are released at once."""
        started = time.perf_counter()
        if facts.routing_started is None:
            facts.routing_started = started
        try:
            return await routing
        except BaseException as exc:
            code = exc.status_code if isinstance(exc, DeltaLLMError) else 499
            self.settler.spawn(
                self.settler.settle(
                    facts,
                    deployment=None,
                    usage=None,
                    status=SpendStatus.ERROR,
                    status_code=code,
                    error_message=failure_message(exc),
                )
            )
            raise
        finally:
            elapsed = time.perf_counter() - started
            ctx.upstream_seconds += elapsed
            facts.upstream_seconds += elapsed

    async def call(
        self, ctx: RequestContext, body: dict[str, Any], *, files: list[FilePart] | None = None
    ) -> RoutedResult:
        if self.tracing is not None:
            return await self.tracing.call(ctx, body, self._call(ctx, body, files))
        return await self._call(ctx, body, files)

    async def _call(
        self, ctx: RequestContext, body: dict[str, Any], files: list[FilePart] | None
    ) -> RoutedResult:
        model = self._authorize(ctx, body)
        facts, prompt, _, _ = await self._admit(ctx, model, body)
        run = await begin(self, ctx, facts, model, body)
        routing = self.router.call(model, ctx.op, body, files=files, estimated_tokens=prompt)
        if self.cache is not None:  # the response cache's lookup (app/cache)
            routing = self.cache.call(ctx, facts, body, routing, self.router)
        else:
            body.pop("cache", None)  # LiteLLM's per-request cache controls never go upstream
        routed = await self._routed(ctx, facts, run.during(body, routing) if run else routing)
        if run is not None:
            await finish(run, self.settler, facts, routed)
        # Settled before answering: once the caller has its answer, its cost is recorded
        # (with Redis, in the durable stream) even if this process dies the next moment.
        await self.settler.settle(
            facts,
            deployment=routed.deployment,
            usage=routed.result.usage,
            status=SpendStatus.OK,
            status_code=200,
        )
        return routed

    async def stream(self, ctx: RequestContext, body: dict[str, Any]) -> AnswerStream:
        if self.tracing is not None:
            return await self.tracing.stream(ctx, body, self._stream(ctx, body))
        return await self._stream(ctx, body)

    async def _stream(self, ctx: RequestContext, body: dict[str, Any]) -> MeteredStream:
        model = self._authorize(ctx, body)
        facts, prompt, output, output_price = await self._admit(ctx, model, body)
        facts.stream = True
        options = body.get("stream_options") or {}
        include_usage = bool(options.get("include_usage")) if isinstance(options, dict) else False
        run = await begin(self, ctx, facts, model, body)
        routing = self.router.stream(
            model, ctx.op, body, include_usage=include_usage, estimated_tokens=prompt
        )
        if self.cache is not None:  # the response cache's lookup (app/cache)
            routing = self.cache.stream(ctx, facts, body, routing, self.router)
        else:
            body.pop("cache", None)
        routed = await self._routed(ctx, facts, run.during(body, routing) if run else routing)
        guard = None
        if facts.reservation is not None and facts.reservation.reserved > 0 and not facts.cache_hit:
            guard = BudgetGuard(self.admitter.counters, output, output_price, self.admitter.clock)

        async def settle(
            usage: Usage | None,
            status: SpendStatus,
            code: int,
            first: float | None,
            error: str | None,
        ) -> None:
            await self.settler.settle(
                facts,
                deployment=routed.deployment,
                usage=usage,
                status=status,
                status_code=code,
                first_chunk_at=first,
                error_message=error,
            )

        return MeteredStream(
            routed,
            prompt_estimate=prompt,
            guard=guard,
            reservation=facts.reservation,
            settle=settle,
            spawn=self.settler.spawn,
            model_group=facts.model_group,
            request_id=ctx.request_id,
        )


_GENERATES = frozenset(
    {Operation.CHAT, Operation.COMPLETION, Operation.MESSAGES, Operation.RESPONSES}
)
