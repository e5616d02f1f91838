"""Tracing with OpenTelemetry: a request span per ``/v1`` call, a client span per attempt,
exported over OTLP/HTTP in batches. Imported only when tracing is configured."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from app.errors import DeltaLLMError
from app.gateway.failures import failure_message
from app.gateway.metering import AnswerStream, MeteredStream
from app.gateway.pipeline import RequestContext
from app.observability import genai
from app.observability.tracing import Attempt
from app.observability.tracing_settings import TracingConfig
from app.providers.base import Operation, Usage
from app.router.deployment import Deployment
from app.router.gate import GatePass
from app.router.routed import RoutedResult

__all__ = ["OtelTracing"]

T = TypeVar("T")
_EVENT_END = re.compile(rb"\r?\n\r?\n")
_PROPAGATOR = TraceContextTextMapPropagator()


def _failed(span: Span, exc: BaseException) -> None:
    if isinstance(exc, DeltaLLMError):
        code, kind = exc.status_code, exc.code or type(exc).__name__
    elif isinstance(exc, Exception):
        code, kind = 500, type(exc).__name__
    else:
        code, kind = 499, "cancelled"
    span.set_attribute("error.type", kind)
    span.set_attribute("http.response.status_code", code)
    span.set_status(Status(StatusCode.ERROR, failure_message(exc)))
    span.end()


def _answered(span: Span, deployment: Deployment, group: str, usage: Usage | None) -> None:
    span.set_attribute("gen_ai.response.model", deployment.upstream_model(group))
    span.set_attribute("gen_ai.provider.name", genai.provider_name(deployment.params.provider))
    span.set_attribute("deltallm.model_group", group)
    span.set_attribute("deltallm.deployment.id", deployment.id)
    span.set_attributes(genai.usage_attributes(usage))


class OtelTracing:
    def __init__(self, config: TracingConfig) -> None:
        self._provider = TracerProvider(
            resource=Resource.create({"service.name": config.service_name}),
            sampler=ParentBased(TraceIdRatioBased(config.sample_ratio)),
        )
        headers = {k: v.get_secret_value() for k, v in config.headers.items()}
        exporter = OTLPSpanExporter(endpoint=config.endpoint, headers=headers, timeout=10)
        self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self._provider.get_tracer("deltallm")
        self._capture = config.capture_content

    def shutdown(self) -> None:
        self._provider.shutdown()

    def _start(self, ctx: RequestContext, body: Mapping[str, Any]) -> Span:
        op = genai.operation_name(ctx.op)
        model = body.get("model")
        parent = None
        if ctx.headers is not None and "traceparent" in ctx.headers:
            parent = _PROPAGATOR.extract(ctx.headers)
        span = self._tracer.start_span(
            f"{op} {model}" if isinstance(model, str) else op,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"gen_ai.operation.name": op, "deltallm.request_id": ctx.request_id},
        )
        if not span.is_recording():
            return span
        if isinstance(model, str):
            span.set_attribute("gen_ai.request.model", model)
        span.set_attributes(genai.request_attributes(body))
        caller = ctx.caller
        if caller is not None:
            span.set_attribute("deltallm.caller.kind", caller.kind)
            if caller.identity is not None:
                span.set_attribute("deltallm.key.id", caller.identity.key_id)
        return span

    def _input(self, span: Span, ctx: RequestContext, body: Mapping[str, Any]) -> None:
        """The prompt once the guardrails have masked it (their ``logging_only`` copy where
        there is one); a prompt a guardrail refused is never captured."""
        run = ctx.guard_run
        if not self._capture or not span.is_recording() or (run is not None and run.refused):
            return
        messages = genai.input_messages(ctx.op, run.logged(body) if run is not None else body)
        if messages is not None:
            span.set_attribute("gen_ai.input.messages", messages)

    async def call(
        self, ctx: RequestContext, body: Mapping[str, Any], work: Awaitable[RoutedResult]
    ) -> RoutedResult:
        span = self._start(ctx, body)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            routed = await work
        except BaseException as exc:
            self._input(span, ctx, body)
            _failed(span, exc)
            raise
        finally:
            otel_context.detach(token)
        self._input(span, ctx, body)
        if span.is_recording():
            _answered(span, routed.deployment, routed.model_group, routed.result.usage)
            span.set_attribute("http.response.status_code", 200)
            if self._capture and ctx.op in (Operation.CHAT, Operation.COMPLETION):
                run = ctx.guard_run
                content = run.logged_answer(routed.result.content) if run else routed.result.content
                output = genai.output_messages(*genai.answer_texts(content))
                if output is not None:
                    span.set_attribute("gen_ai.output.messages", output)
        span.end()
        return routed

    async def stream(
        self, ctx: RequestContext, body: Mapping[str, Any], work: Awaitable[MeteredStream]
    ) -> AnswerStream:
        span = self._start(ctx, body)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            stream = await work
        except BaseException as exc:
            self._input(span, ctx, body)
            _failed(span, exc)
            raise
        finally:
            otel_context.detach(token)
        self._input(span, ctx, body)
        # A guardrail that masks what is logged cannot mask a streamed answer's capture.
        keep = ctx.guard_run is None or not ctx.guard_run.masks_records
        return _TracedStream(stream, span, self._capture and span.is_recording() and keep)

    def attempts(self, op: Operation, attempt: Attempt[T]) -> Attempt[T]:
        numbers = itertools.count(1)
        operation = genai.operation_name(op)

        async def traced(group: str, gate_pass: GatePass) -> T:
            deployment = gate_pass.deployment
            upstream = deployment.upstream_model(group)
            span = self._tracer.start_span(
                f"{operation} {upstream}",
                kind=SpanKind.CLIENT,
                attributes={
                    "gen_ai.operation.name": operation,
                    "gen_ai.provider.name": genai.provider_name(deployment.params.provider),
                    "gen_ai.request.model": upstream,
                    "deltallm.deployment.id": deployment.id,
                    "deltallm.model_group": group,
                    "deltallm.attempt": next(numbers),
                    **genai.server_attributes(deployment.params.api_base),
                },
            )
            try:
                result = await attempt(group, gate_pass)
            except BaseException as exc:
                _failed(span, exc)
                raise
            if isinstance(result, RoutedResult):
                span.set_attributes(genai.usage_attributes(result.result.usage))
            span.end()
            return result

        return traced


class _TracedStream(AnswerStream):
    """A metered stream whose request span ends when it does, with the usage it reports."""

    def __init__(self, inner: MeteredStream, span: Span, capture: bool) -> None:
        super().__init__()
        self.inner = inner
        self._span = span
        self._capture = capture
        self._texts: dict[int, str] = {}
        self._finish: dict[int, str] = {}
        self._pending = b""
        self._error: BaseException | None = None
        self._finished = False
        self._ended = False

    async def _relay(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                if self._capture:
                    *events, self._pending = _EVENT_END.split(self._pending + chunk)
                    for event in events:
                        genai.add_delta(event, self._texts, self._finish)
                yield chunk
            self._finished = True
        except DeltaLLMError as exc:
            self._error = exc
            raise
        finally:
            await self.aclose()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._relay()

    def interrupt(self, error: DeltaLLMError) -> None:
        self._error = error
        self.inner.interrupt(error)

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            self.usage, self.first_chunk_at = self.inner.usage, self.inner.first_chunk_at
            if not self._ended:
                self._ended = True
                self._end()

    def _end(self) -> None:
        span = self._span
        routed = self.inner.inner
        if span.is_recording():
            _answered(span, routed.deployment, routed.model_group, self.usage)
            output = genai.output_messages(self._texts, self._finish)
            if output is not None:
                span.set_attribute("gen_ai.output.messages", output)
        if self._error is not None:
            _failed(span, self._error)
        elif not self._finished:
            span.set_attribute("error.type", "cancelled")
            span.set_attribute("http.response.status_code", 499)
            span.set_status(Status(StatusCode.ERROR, "The client went away before the answer."))
            span.end()
        else:
            span.set_attribute("http.response.status_code", 200)
            span.end()
