"""The router: model groups, deployment choice, retries, cooldowns and fallbacks."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from app.config import GatewayConfig, ModelMode
from app.errors import (
    BadRequestError,
    ContentPolicyError,
    ContextWindowExceededError,
    DeltaLLMError,
    NotFoundError,
    RateLimitError,
    UpstreamError,
)
from app.limits.counters import CounterStore
from app.messages.dispatch import call_provider, open_provider_stream
from app.observability.tracing import Tracing
from app.providers.base import (
    FilePart,
    Operation,
    ProviderCall,
)
from app.providers.registry import build_provider
from app.responses import dispatch as responses
from app.router.deployment import Deployment
from app.router.gate import DeploymentGate, GatePass
from app.router.routed import RoutedResult, RoutedStream
from app.router.strategies import make_strategy
from app.security.url_fetch import UrlFetcher

__all__ = ["Router"]

log = logging.getLogger("deltallm.router")
T = TypeVar("T")

_MAX_BACKOFF = 8.0
_INTERNAL_DEFAULTS = frozenset({"stream_delay"})


class Router:
    """Owns every deployment (and its pooled transport) of one configuration."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        counters: CounterStore | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.settings = config.router_settings
        self.tracing = tracing
        self.gate = DeploymentGate(counters)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._pick = make_strategy(self.settings.routing_strategy, self._rng)
        fetcher = UrlFetcher(config.general_settings.url_fetch)
        self.deployments: list[Deployment] = []
        self.groups: dict[str, list[Deployment]] = {}
        for index, entry in enumerate(config.model_list):
            deployment = Deployment(
                id=entry.model_info.id or f"{entry.model_name}-{index}",
                model_name=entry.model_name,
                params=entry.deltallm_params,
                info=entry.model_info,
                provider=build_provider(entry.deltallm_params, fetcher),
                clock=clock,
            )
            self.deployments.append(deployment)
            self.groups.setdefault(entry.model_name, []).append(deployment)
        self._wildcards = [d for d in self.deployments if d.is_wildcard]
        self.aliases = dict(self.settings.model_group_alias)
        self.on_attempt: Callable[[str, str, str, bool], None] | None = None
        """Told of every call to a deployment: group, deployment id, ``ok`` or the error's
        status, and whether the failure started a cooldown (the metrics listen)."""

    async def aclose(self) -> None:
        await asyncio.gather(*(d.provider.aclose() for d in self.deployments))

    # --- model names ----------------------------------------------------------

    def model_names(self) -> list[str]:
        """Public model names: groups and aliases (wildcard patterns are not models)."""
        names = [name for name in self.groups if not name.endswith("*")]
        return names + [alias for alias in self.aliases if alias not in self.groups]

    def resolve(self, model: str) -> tuple[str, list[Deployment]]:
        """The group serving ``model`` (after aliases and wildcards)."""
        group = self.aliases.get(model, model)
        if group in self.groups and not group.endswith("*"):
            return group, self.groups[group]
        matching = [d for d in self._wildcards if d.matches(group)]
        if matching:
            longest = max(len(d.model_name) for d in matching)
            return group, [d for d in matching if len(d.model_name) == longest]
        raise NotFoundError(
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )

    def mode_of(self, model: str) -> ModelMode | None:
        _, deployments = self.resolve(model)
        return deployments[0].info.mode

    # --- calls ----------------------------------------------------------------

    def deployment(self, deployment_id: str) -> Deployment:
        for deployment in self.deployments:
            if deployment.id == deployment_id:
                return deployment
        raise NotFoundError(
            f"No deployment {deployment_id} is being served.",
            param="id",
            code="deployment_not_found",
        )

    async def call_deployment(
        self, deployment_id: str, op: Operation, body: dict[str, Any]
    ) -> RoutedResult:
        """One call to exactly this deployment: through its rate and parallel gate, with
        its defaults and timeout, but no retries, fallbacks or cooldown bookkeeping."""
        deployment = self.deployment(deployment_id)
        if deployment.is_wildcard:
            raise BadRequestError(
                "A wildcard deployment serves many models; it cannot be called as one.",
                param="id",
                code="wildcard_deployment",
            )
        group = deployment.model_name
        gate_pass = await self.gate.enter(deployment, 0)
        if gate_pass is None:
            raise RateLimitError(
                f"Deployment {deployment_id} is at its rate or parallel-request limit.",
                code="rate_limit_exceeded",
            )
        call = self._provider_call(deployment, group, op, body, False, False, None)
        started = time.perf_counter()
        used = None
        try:
            result = await deployment.provider.call(call, self._timeout(deployment, False))
            used = result.usage.total_tokens if result.usage is not None else None
        finally:
            await self.gate.leave(gate_pass, used)
        deployment.record_latency(time.perf_counter() - started)
        return RoutedResult(result, deployment, group)

    async def call(
        self,
        model: str,
        op: Operation,
        body: dict[str, Any],
        *,
        files: list[FilePart] | None = None,
        estimated_tokens: int = 0,
    ) -> RoutedResult:
        async def attempt(group: str, gate_pass: GatePass) -> RoutedResult:
            deployment = gate_pass.deployment
            call = self._provider_call(deployment, group, op, body, False, False, files)
            started = time.perf_counter()
            used = None
            try:
                send = responses.call_provider if op is Operation.RESPONSES else call_provider
                result = await send(deployment.provider, call, self._timeout(deployment, False))
                used = result.usage.total_tokens if result.usage is not None else None
            finally:
                await self.gate.leave(gate_pass, used)
            deployment.record_latency(time.perf_counter() - started)
            return RoutedResult(result, deployment, group)

        traced = self.tracing.attempts(op, attempt) if self.tracing is not None else attempt
        return await self._with_fallbacks(model, traced, estimated_tokens)

    async def stream(
        self,
        model: str,
        op: Operation,
        body: dict[str, Any],
        *,
        include_usage: bool,
        estimated_tokens: int = 0,
    ) -> RoutedStream:
        async def attempt(group: str, gate_pass: GatePass) -> RoutedStream:
            deployment = gate_pass.deployment
            call = self._provider_call(deployment, group, op, body, True, include_usage, None)
            started = time.perf_counter()
            try:
                opened = (
                    responses.open_provider_stream
                    if op is Operation.RESPONSES
                    else open_provider_stream
                )
                inner = await opened(deployment.provider, call, self._timeout(deployment, True))
            except BaseException:
                await self.gate.leave(gate_pass, None)
                raise
            deployment.record_latency(time.perf_counter() - started)
            return RoutedStream(inner, self.gate, gate_pass, group)

        traced = self.tracing.attempts(op, attempt) if self.tracing is not None else attempt
        return await self._with_fallbacks(model, traced, estimated_tokens)

    def _provider_call(
        self,
        deployment: Deployment,
        group: str,
        op: Operation,
        body: dict[str, Any],
        stream: bool,
        include_usage: bool,
        files: list[FilePart] | None,
    ) -> ProviderCall:
        defaults = deployment.params.defaults
        merged = {k: v for k, v in defaults.items() if k not in _INTERNAL_DEFAULTS}
        merged.update(body)
        merged["model"] = deployment.upstream_model(group)
        return ProviderCall(op, merged, stream, include_usage, files or [])

    def _timeout(self, deployment: Deployment, stream: bool) -> float:
        params = deployment.params
        if stream:
            return (
                params.stream_timeout
                or self.settings.stream_timeout
                or params.timeout
                or self.settings.timeout
            )
        return params.timeout or self.settings.timeout

    # --- retries and fallbacks ------------------------------------------------

    def _fallbacks(self, rules: Iterable[dict[str, list[str]]], group: str) -> list[str]:
        found: list[str] = []
        for rule in rules:
            found.extend(rule.get(group, []))
        if not found:
            for rule in rules:
                found.extend(rule.get("*", []))
        return found

    async def _with_fallbacks(
        self,
        model: str,
        attempt: Callable[[str, GatePass], Awaitable[T]],
        estimated_tokens: int,
    ) -> T:
        queue = [model]
        tried: set[str] = set()
        last_error: DeltaLLMError | None = None
        while queue:
            name = queue.pop(0)
            if name in tried:
                continue
            tried.add(name)
            try:
                return await self._with_retries(name, attempt, estimated_tokens)
            except ContextWindowExceededError as exc:
                more = self._fallbacks(self.settings.context_window_fallbacks, name)
                if not more and last_error is None:
                    raise
                last_error = exc
            except ContentPolicyError as exc:
                more = self._fallbacks(self.settings.content_policy_fallbacks, name)
                if not more and last_error is None:
                    raise
                last_error = exc
            except (UpstreamError, RateLimitError) as exc:
                if isinstance(exc, UpstreamError) and not exc.retryable and exc.status_code != 502:
                    raise
                more = self._fallbacks(self.settings.fallbacks, name)
                last_error = exc
            if more:
                log.info("falling back from %s to %s", name, ", ".join(more))
            queue.extend(m for m in more if m not in tried)
        assert last_error is not None
        raise last_error

    async def _with_retries(
        self,
        model: str,
        attempt: Callable[[str, GatePass], Awaitable[T]],
        estimated_tokens: int,
    ) -> T:
        group, deployments = self.resolve(model)
        failed: set[str] = set()
        retries = self.settings.num_retries
        for number in range(retries + 1):
            gate_pass = await self._choose(group, deployments, failed, estimated_tokens)
            deployment = gate_pass.deployment
            try:
                result = await attempt(group, gate_pass)
            except UpstreamError as exc:
                immediate = exc.status_code == 429 or not exc.retryable
                before = deployment.cooldown_until
                deployment.record_failure(
                    allowed_fails=self.settings.allowed_fails,
                    cooldown=self.settings.cooldown_time,
                    immediate=immediate,
                )
                cooled = deployment.cooldown_until != before
                self._attempted(group, deployment, str(exc.status_code), cooled)
                failed.add(deployment.id)
                if not exc.retryable or number == retries:
                    raise
                log.warning("deployment %s failed (%s); retrying", deployment.id, exc.message)
                await self._backoff(exc, number, deployments, failed)
                continue
            except DeltaLLMError as exc:
                self._attempted(group, deployment, str(exc.status_code), False)
                raise
            deployment.record_success()
            self._attempted(group, deployment, "ok", False)
            return result
        raise AssertionError("unreachable")

    def _attempted(self, group: str, deployment: Deployment, outcome: str, cooled: bool) -> None:
        if self.on_attempt is not None:
            self.on_attempt(group, deployment.id, outcome, cooled)

    async def _backoff(
        self, exc: UpstreamError, number: int, deployments: list[Deployment], failed: set[str]
    ) -> None:
        """Wait before the next try: not at all when another deployment can take it."""
        others = [d for d in deployments if d.id not in failed and not d.cooling_down()]
        if others:
            return
        delay = max(self.settings.retry_after, min(_MAX_BACKOFF, 0.05 * 2**number))
        if exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, _MAX_BACKOFF))
        await self._sleep(delay)

    async def _choose(
        self, group: str, deployments: list[Deployment], failed: set[str], tokens: int
    ) -> GatePass:
        live = [d for d in deployments if not d.cooling_down() and d.healthy]
        if not live:
            # Every deployment is cooling down: try the one that recovers first
            # rather than failing while the provider may already be back.
            live = [min(deployments, key=lambda d: d.cooldown_until)]
        candidates = [d for d in live if d.id not in failed] or live
        while candidates:
            deployment = self._pick(group, candidates)
            gate_pass = await self.gate.enter(deployment, tokens)
            if gate_pass is not None:
                return gate_pass
            candidates = [d for d in candidates if d is not deployment]
        raise RateLimitError(
            f"Every deployment of `{group}` is at its rate or parallel-request limit.",
            code="rate_limit_exceeded",
            headers={"retry-after": "1"},
        )
