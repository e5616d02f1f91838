"""The data-plane request path, between the REST transport and the router.

authenticate → authorize model → route (retries, fallbacks) → answer. Admission
(limits, budgets), guardrails, caching and settlement take their places here, around
``_route``/``_open``, so the transport never changes when they arrive.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.errors import BadRequestError
from app.gateway.auth import Authenticator, Caller, extract_key
from app.providers.base import FilePart, Operation
from app.router.router import RoutedResult, RoutedStream, Router
from app.tokens import estimate_prompt_tokens

__all__ = ["Gateway", "RequestContext"]


@dataclass(slots=True)
class RequestContext:
    """One ``/v1`` request as it moves along the path."""

    request_id: str
    op: Operation
    started: float = field(default_factory=time.perf_counter)
    caller: Caller | None = None
    upstream_seconds: float = 0.0

    @classmethod
    def begin(cls, op: Operation, headers: Mapping[str, str]) -> RequestContext:
        given = headers.get("x-request-id")
        request_id = given if given and len(given) <= 128 else uuid.uuid4().hex
        return cls(request_id=request_id, op=op)

    def overhead_ms(self) -> float:
        return max(0.0, (time.perf_counter() - self.started - self.upstream_seconds) * 1000)


class Gateway:
    """Serves authenticated, routed calls. One per process, built by ``app.main``."""

    def __init__(self, router: Router, authenticator: Authenticator) -> None:
        self.router = router
        self.authenticator = authenticator

    async def authenticate(self, ctx: RequestContext, headers: Mapping[str, str]) -> Caller:
        ctx.caller = await self.authenticator.authenticate(extract_key(headers))
        return ctx.caller

    def _model_of(self, body: Mapping[str, Any]) -> str:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequestError("`model` is required.", param="model", code="missing_model")
        self.router.resolve(model)
        return model

    async def call(
        self,
        ctx: RequestContext,
        body: dict[str, Any],
        *,
        files: list[FilePart] | None = None,
    ) -> RoutedResult:
        model = self._model_of(body)
        started = time.perf_counter()
        try:
            return await self.router.call(
                model, ctx.op, body, files=files, estimated_tokens=estimate_prompt_tokens(body)
            )
        finally:
            ctx.upstream_seconds += time.perf_counter() - started

    async def stream(self, ctx: RequestContext, body: dict[str, Any]) -> RoutedStream:
        model = self._model_of(body)
        options = body.get("stream_options") or {}
        include_usage = bool(options.get("include_usage")) if isinstance(options, dict) else False
        started = time.perf_counter()
        try:
            return await self.router.stream(
                model,
                ctx.op,
                body,
                include_usage=include_usage,
                estimated_tokens=estimate_prompt_tokens(body),
            )
        finally:
            ctx.upstream_seconds += time.perf_counter() - started
