"""Prometheus metrics of the data plane, with bounded labels.

Every label value comes from a bounded set: model groups the router serves (anything else is
``other``; a wildcard group is named by its pattern), deployment ids from the configuration,
HTTP status codes and a fixed list of failure kinds. Per-key, per-team and per-organization
series exist only when ``general_settings.metrics.labels`` asks for them; a key is named by
its id and alias, never by its secret or hash.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``deltallm serve --workers N`` sets it) every worker
writes its samples to files there and a scrape of any worker reads them all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

from app.keys.identity import KeyIdentity
from app.limits.counters import AdmissionResult
from app.observability.families import counter, gauge, histogram
from app.observability.scoped import ScopedFamilies
from app.observability.settings import MetricsSettings

if TYPE_CHECKING:
    from app.router.router import Router

__all__ = ["NO_GROUP", "OTHER", "Metrics", "failure_kind"]

OTHER = "other"
"""The model-group label of names no deployment serves."""
NO_GROUP = "none"
"""The label of requests refused before a model group was known."""

_LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)
_OVERHEAD_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
_LAG_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)
_GUARDRAIL_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
_KINDS = {
    400: "bad_request",
    401: "authentication",
    403: "permission_denied",
    404: "not_found",
    405: "bad_request",
    408: "timeout",
    413: "too_large",
    415: "bad_request",
    429: "rate_limited",
    499: "client_closed",
    500: "internal",
    502: "upstream_error",
    503: "unavailable",
    504: "upstream_timeout",
}
_MAX_NAMES = 4096
_CACHE_EVENTS = {"hit": "hits", "miss": "misses", "store": "stores", "error": "errors"}


def failure_kind(status_code: int) -> str:
    """A bounded name for a failed request's status."""
    if status_code in _KINDS:
        return _KINDS[status_code]
    return "upstream_error" if status_code >= 500 else "bad_request"


class Metrics:
    """The families of one process and the methods the request path records through."""

    def __init__(self, settings: MetricsSettings, multiprocess_dir: Path | None = None) -> None:
        self.settings = settings
        self.multiprocess_dir = multiprocess_dir
        self.registry = r = CollectorRegistry(auto_describe=False)
        self.requests = counter(
            r,
            "deltallm_requests",
            "Data-plane requests by model group, deployment and HTTP status.",
            "model_group",
            "deployment",
            "status",
        )
        self.failures = counter(
            r, "deltallm_request_failures", "Failed requests by kind.", "model_group", "kind"
        )
        self.latency = histogram(
            r,
            "deltallm_request_duration_seconds",
            "Time from receiving a routed request to its answer (a stream: to its last chunk).",
            _LATENCY_BUCKETS,
            "model_group",
        )
        self.upstream = histogram(
            r,
            "deltallm_upstream_duration_seconds",
            "Time spent waiting on deployments (retries and fallbacks included).",
            _LATENCY_BUCKETS,
            "model_group",
        )
        self.overhead = histogram(
            r,
            "deltallm_gateway_overhead_seconds",
            "Time the gateway adds: a request's duration less its upstream time.",
            _OVERHEAD_BUCKETS,
            "model_group",
        )
        self.ttft = histogram(
            r,
            "deltallm_time_to_first_token_seconds",
            "Time from receiving a streamed request to its first chunk.",
            _LATENCY_BUCKETS,
            "model_group",
        )
        self.tokens = counter(
            r, "deltallm_tokens", "Tokens by model group and type.", "model_group", "type"
        )
        self.spend = counter(r, "deltallm_spend_usd", "Spend in USD by model group.", "model_group")
        self.attempts = counter(
            r,
            "deltallm_upstream_attempts",
            "Calls to deployments (each retry counts) by outcome: ok or the HTTP status.",
            "model_group",
            "deployment",
            "outcome",
        )
        self.cooldowns = counter(
            r,
            "deltallm_deployment_cooldowns",
            "Times a deployment was put in cooldown.",
            "model_group",
            "deployment",
        )
        self.healthy = gauge(
            r,
            "deltallm_deployment_healthy",
            "1 if the deployment passed its last health probe (or was never probed).",
            "livemin",
            "model_group",
            "deployment",
        )
        self.cooling = gauge(
            r,
            "deltallm_deployment_cooling_down",
            "1 while a deployment is in cooldown (in any worker).",
            "livemax",
            "model_group",
            "deployment",
        )
        self.in_flight = gauge(
            r,
            "deltallm_deployment_in_flight",
            "Calls in flight to a deployment.",
            "livesum",
            "model_group",
            "deployment",
        )
        self.queue_depth = gauge(
            r,
            "deltallm_spend_queue_depth",
            "Spend records waiting in memory (the buffer, or held while Redis is down).",
            "livesum",
        )
        self.stream_length = gauge(
            r,
            "deltallm_spend_stream_length",
            "Spend records waiting in the Redis stream.",
            "livemax",
        )
        self.write_lag = histogram(
            r,
            "deltallm_spend_write_lag_seconds",
            "Time from a request's end to its spend record's write.",
            _LAG_BUCKETS,
        )
        self.spend_dropped = counter(
            r, "deltallm_spend_records_dropped", "Spend records dropped from a full buffer."
        )
        self.redis_failures = counter(
            r,
            "deltallm_redis_failures",
            "Calls to the shared counters (Redis) that failed.",
        )
        self.redis_outage = counter(
            r,
            "deltallm_redis_outage_admissions",
            "Calls admitted uncounted (fail open) or refused (fail closed) while Redis was down.",
            "outcome",
        )
        self.guardrail_checks = counter(
            r,
            "deltallm_guardrail_checks",
            "Guardrail checks by guardrail, mode and outcome (pass, masked, blocked, "
            "flagged, unreachable, unstopped).",
            "guardrail",
            "mode",
            "outcome",
        )
        self.guardrail_latency = histogram(
            r,
            "deltallm_guardrail_latency_seconds",
            "Time one guardrail check took.",
            _GUARDRAIL_BUCKETS,
            "guardrail",
        )
        self.cache = {
            event: counter(
                r,
                f"deltallm_cache_{event}",
                f"Response cache {event} by backend and call type.",
                "backend",
                "call_type",
            )
            for event in ("hits", "misses", "stores", "errors")
        }
        self._scopes = frozenset(settings.labels)
        self._router: Router | None = None
        self._names: dict[str, str] = {}
        self._scoped = ScopedFamilies(r, self._scopes)

    # --- labels ---------------------------------------------------------------------

    def use_router(self, router: Router) -> None:
        """Name model groups after the groups ``router`` serves (after a reload too)."""
        self._router = router
        self._names = {}

    def group(self, name: str) -> str:
        """The label of a model name: the group, a wildcard group's pattern, or ``other``."""
        label = self._names.get(name)
        if label is not None:
            return label
        label = OTHER
        router = self._router
        if router is not None:
            if name in router.groups and not name.endswith("*"):
                label = name
            else:
                patterns = [
                    d.model_name
                    for d in router.deployments
                    if d.model_name.endswith("*") and name.startswith(d.model_name[:-1])
                ]
                label = max(patterns, key=len) if patterns else OTHER
        if len(self._names) < _MAX_NAMES:
            self._names[name] = label
        return label

    # --- recording ------------------------------------------------------------------

    def refused(self, status_code: int) -> None:
        """A data-plane request refused before admission (bad key, bad body, unknown model)."""
        self.requests(NO_GROUP, NO_GROUP, str(status_code)).inc()
        self.failures(NO_GROUP, failure_kind(status_code)).inc()

    def settled(
        self,
        *,
        model_group: str,
        deployment: str | None,
        status_code: int,
        identity: KeyIdentity | None,
        prompt_tokens: int,
        completion_tokens: int,
        cost: Decimal,
        durations: tuple[float, float, float] | None,
        ttft: float | None,
    ) -> None:
        """One admitted request, settled. ``durations`` (total, upstream, overhead) is None
        when no deployment was called."""
        group = self.group(model_group)
        self.requests(group, deployment or NO_GROUP, str(status_code)).inc()
        if status_code >= 400:
            self.failures(group, failure_kind(status_code)).inc()
        if durations is not None:
            total, upstream, overhead = durations
            self.latency(group).observe(total)
            self.upstream(group).observe(upstream)
            self.overhead(group).observe(overhead)
        if ttft is not None:
            self.ttft(group).observe(ttft)
        if prompt_tokens:
            self.tokens(group, "prompt").inc(prompt_tokens)
        if completion_tokens:
            self.tokens(group, "completion").inc(completion_tokens)
        if cost:
            self.spend(group).inc(float(cost))
        if identity is not None and self._scopes:
            self._scoped.record(identity, prompt_tokens + completion_tokens, cost)

    def admitted(self, identity: KeyIdentity | None, result: AdmissionResult | None) -> None:
        """Rate-limit headroom of the key after an admission (with key labels only)."""
        if identity is not None and result is not None and "key" in self._scopes:
            self._scoped.headroom(identity, result)

    def active_keys(self) -> list[KeyIdentity]:
        """Keys admitted since the last call, for their budget headroom (key labels only)."""
        return self._scoped.take_active()

    def key_budget_left(self, identity: KeyIdentity, remaining: Decimal) -> None:
        self._scoped.budget_left(identity, remaining)

    def cache_event(self, event: str, backend: str, call_type: str) -> None:
        """A response-cache ``hit``, ``miss``, ``store`` or ``error``."""
        self.cache[_CACHE_EVENTS[event]](backend, call_type).inc()

    def attempt(self, model_group: str, deployment: str, outcome: str, cooled: bool) -> None:
        """One call to a deployment by the router; ``cooled``: it started a cooldown."""
        group = self.group(model_group)
        self.attempts(group, deployment, outcome).inc()
        if cooled:
            self.cooldowns(group, deployment).inc()

    def guardrail(self, name: str, mode: str, outcome: str, seconds: float) -> None:
        """One guardrail check and what came of it."""
        self.guardrail_checks(name, mode, outcome).inc()
        self.guardrail_latency(name).observe(seconds)

    def spend_written(self, ended_at: Sequence[float], now: float | None = None) -> None:
        """Records whose requests ended at these epoch times were written just now."""
        now = time.time() if now is None else now
        lag = self.write_lag()
        for ended in ended_at:
            lag.observe(max(0.0, now - ended))

    # --- exposition -----------------------------------------------------------------

    def render(self) -> bytes:
        """The text exposition: of every worker in multiprocess mode, else of this one."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        _forget_dead_workers(self.multiprocess_dir)
        registry = CollectorRegistry(auto_describe=False)
        prometheus_multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
            registry, path=str(self.multiprocess_dir)
        )
        return generate_latest(registry)

    def close(self) -> None:
        """This worker is exiting: its live gauges leave the aggregate."""
        if self.multiprocess_dir is not None:
            prometheus_multiprocess.mark_process_dead(  # type: ignore[no-untyped-call]
                os.getpid(), str(self.multiprocess_dir)
            )


def _forget_dead_workers(directory: Path) -> None:
    """Drop the live gauges of workers that died without stopping (a crash, or a restart
    by the supervisor after a failed health check); their counters stay counted."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not _alive(int(pid)):
            prometheus_multiprocess.mark_process_dead(int(pid), str(directory))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
