"""Traces: a real gateway exports spans over OTLP/HTTP to a collector on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql
from tests.support.otlp_collector import FakeCollector, ReceivedSpan

MARKER = "zebra-quartz-7731"
PROMPT = [{"role": "user", "content": f"Say hello to {MARKER}"}]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture(autouse=True)
def quick_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The span processor exports every 100 ms instead of every 5 s."""
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")


@pytest.fixture
async def collector() -> AsyncIterator[FakeCollector]:
    server = await FakeCollector().start()
    try:
        yield server
    finally:
        await server.stop()


def _config(
    collector: FakeCollector, *fakes: FakeOpenAI, capture: bool = False, **router: Any
) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": f"chat-{fake.name}",
                "deltallm_params": {
                    "model": f"openai/gpt-{fake.name}",
                    "api_base": fake.base_url,
                    "api_key": "sk-upstream",
                },
                "model_info": {"id": f"dep-{fake.name}"},
            }
            for fake in fakes
        ],
        "router_settings": router,
        "general_settings": {"otel": {"endpoint": collector.endpoint, "capture_content": capture}},
    }


async def _spans(
    collector: FakeCollector, request_id: str, attempts: int = 1, timeout: float = 30.0
) -> tuple[ReceivedSpan, list[ReceivedSpan]]:
    def found() -> bool:
        spans = collector.requests(request_id)
        return len(spans) == 1 and len(collector.children(spans[0])) == attempts

    await collector.wait_for(found, timeout)
    (request,) = collector.requests(request_id)
    children = sorted(collector.children(request), key=lambda s: s.attributes["deltallm.attempt"])
    return request, children


async def _chat(gateway: RunningGateway, model: str, key: str | None = None, **kwargs: Any) -> str:
    async with gateway.client(key) as client:
        raw = await client.chat.completions.with_raw_response.create(
            model=model, messages=PROMPT, **kwargs
        )
        if kwargs.get("stream"):
            assert [c async for c in raw.parse()]
        else:
            assert raw.parse().choices[0].message.content == "Hello there!"
    return raw.headers["x-request-id"]


async def test_a_call_is_a_request_span_with_one_attempt_span(
    collector: FakeCollector, fake_openai: FakeOpenAI
) -> None:
    async with running_gateway(_config(collector, fake_openai)) as gateway:
        created = (await gql(gateway, "mutation { createKey(input: {}) { secret key { id } } }"))[
            "data"
        ]
        secret = created["createKey"]["secret"]
        request_id = await _chat(gateway, "chat-fake", secret, max_tokens=50, temperature=0.5)
        request, (attempt,) = await _spans(collector, request_id)
    assert request.name == "chat chat-fake"
    assert request.kind == "SPAN_KIND_SERVER"
    assert request.resource["service.name"] == "deltallm"
    assert request.attributes == request.attributes | {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "chat-fake",
        "gen_ai.response.model": "gpt-fake",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.usage.input_tokens": 9,
        "gen_ai.usage.output_tokens": 3,
        "http.response.status_code": 200,
        "deltallm.deployment.id": "dep-fake",
        "deltallm.caller.kind": "key",
        "deltallm.key.id": created["createKey"]["key"]["id"],
    }
    assert attempt.name == "chat gpt-fake"
    assert attempt.kind == "SPAN_KIND_CLIENT"
    assert attempt.attributes == attempt.attributes | {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-fake",
        "server.address": "127.0.0.1",
        "server.port": fake_openai.port,
        "deltallm.deployment.id": "dep-fake",
        "deltallm.attempt": 1,
        "gen_ai.usage.input_tokens": 9,
    }
    assert attempt.status != "STATUS_CODE_ERROR"
    for span in (request, attempt):
        assert not any(key.startswith(("gen_ai.input", "gen_ai.output")) for key in span.attributes)
        assert MARKER not in json.dumps(span.attributes)
        assert secret not in json.dumps(span.attributes)


async def test_a_messages_api_call_is_a_chat_span(
    collector: FakeCollector, fake_openai: FakeOpenAI
) -> None:
    async with running_gateway(_config(collector, fake_openai)) as gateway:
        async with anthropic.AsyncAnthropic(
            base_url=gateway.root, api_key=gateway.master_key, max_retries=0
        ) as sdk:
            raw = await sdk.messages.with_raw_response.create(
                model="chat-fake",
                max_tokens=50,
                messages=PROMPT,  # type: ignore[arg-type]
            )
            assert (await raw.parse()).content[0].text == "Hello there!"  # type: ignore[union-attr]
        request, (attempt,) = await _spans(collector, raw.headers["x-request-id"])
    assert request.name == "chat chat-fake"
    assert request.attributes == request.attributes | {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.max_tokens": 50,
        "http.response.status_code": 200,
    }
    assert attempt.attributes["deltallm.deployment.id"] == "dep-fake"
    assert MARKER not in json.dumps(request.attributes)


async def test_a_stream_span_ends_with_the_stream_and_its_usage(
    collector: FakeCollector, fake_openai: FakeOpenAI
) -> None:
    async with running_gateway(_config(collector, fake_openai)) as gateway:
        request_id = await _chat(
            gateway, "chat-fake", stream=True, stream_options={"include_usage": True}
        )
        request, (attempt,) = await _spans(collector, request_id)
    assert request.attributes["gen_ai.usage.input_tokens"] == 9
    assert request.attributes["gen_ai.usage.output_tokens"] == 2
    assert request.attributes["http.response.status_code"] == 200
    assert attempt.attributes["deltallm.attempt"] == 1


async def test_a_retry_and_a_fallback_are_attempt_spans_under_one_request_span(
    collector: FakeCollector, fake_openai: FakeOpenAI, second_fake_openai: FakeOpenAI
) -> None:
    config = _config(
        collector,
        fake_openai,
        second_fake_openai,
        num_retries=1,
        fallbacks=[{"chat-fake": ["chat-second"]}],
    )
    second_fake_openai.reply = "Hello there!"
    fake_openai.fail_next(503, "overloaded")
    fake_openai.fail_next(503, "overloaded")
    async with running_gateway(config) as gateway:
        request_id = await _chat(gateway, "chat-fake")
        request, attempts = await _spans(collector, request_id, attempts=3)
    assert [a.attributes["deltallm.deployment.id"] for a in attempts] == [
        "dep-fake",
        "dep-fake",
        "dep-second",
    ]
    assert [a.status for a in attempts[:2]] == ["STATUS_CODE_ERROR"] * 2
    assert attempts[0].attributes["http.response.status_code"] == 503
    assert "error.type" in attempts[0].attributes
    assert "error.type" not in attempts[2].attributes
    assert request.attributes["deltallm.deployment.id"] == "dep-second"
    assert request.attributes["http.response.status_code"] == 200


async def test_a_failure_marks_the_request_span_from_litellm_style_config(
    collector: FakeCollector, fake_openai: FakeOpenAI
) -> None:
    config = _config(collector, fake_openai)
    del config["general_settings"]
    config["litellm_settings"] = {"callbacks": ["otel"]}
    fake_openai.fail_next(400, "bad request from upstream")
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_SERVICE_NAME": "gw-test"}
    async with running_gateway(config, env=env) as gateway:
        async with gateway.client() as client:
            with pytest.raises(openai.BadRequestError) as caught:
                await client.chat.completions.create(model="chat-fake", messages=PROMPT)
        request_id = caught.value.response.headers["x-request-id"]
        request, (attempt,) = await _spans(collector, request_id)
    assert request.resource["service.name"] == "gw-test"
    assert request.status == "STATUS_CODE_ERROR"
    assert request.attributes["http.response.status_code"] == 400
    assert request.attributes["error.type"]
    assert attempt.status == "STATUS_CODE_ERROR"
    assert attempt.attributes["http.response.status_code"] == 400


async def test_content_is_on_the_spans_only_when_enabled(
    collector: FakeCollector, fake_openai: FakeOpenAI
) -> None:
    async with running_gateway(_config(collector, fake_openai, capture=True)) as gateway:
        whole = await _chat(gateway, "chat-fake")
        streamed = await _chat(gateway, "chat-fake", stream=True)
        spans = [(await _spans(collector, rid))[0] for rid in (whole, streamed)]
    for span in spans:
        inputs = json.loads(span.attributes["gen_ai.input.messages"])
        assert inputs == [
            {"role": "user", "parts": [{"type": "text", "content": f"Say hello to {MARKER}"}]}
        ]
        outputs = json.loads(span.attributes["gen_ai.output.messages"])
        assert outputs[0]["parts"] == [{"type": "text", "content": "Hello there!"}]
        assert outputs[0]["finish_reason"] == "stop"


async def test_a_callers_traceparent_continues_its_trace(
    collector: FakeCollector, fake_openai: FakeOpenAI
) -> None:
    async with running_gateway(_config(collector, fake_openai)) as gateway:
        request_id = await _chat(
            gateway,
            "chat-fake",
            extra_headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"},
        )
        request, (attempt,) = await _spans(collector, request_id)
    assert request.trace_id == TRACE_ID
    assert request.parent_span_id == PARENT_ID
    assert attempt.trace_id == TRACE_ID


async def test_spans_still_buffered_are_exported_when_the_gateway_stops(
    collector: FakeCollector, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")
    async with running_gateway(_config(collector, fake_openai)) as gateway:
        request_id = await _chat(gateway, "chat-fake")
        assert collector.requests(request_id) == []
    request, (attempt,) = await _spans(collector, request_id, timeout=0)
    assert request.attributes["http.response.status_code"] == 200
    assert attempt.attributes["deltallm.attempt"] == 1


_BUILD_APP = """
import sys
TRACING_MODULES = {modules!r}
from app.main import create_app
from app.settings import load_settings
create_app(load_settings(sys.argv[1] if len(sys.argv) > 1 else None))
print([m for m in TRACING_MODULES if m in sys.modules])
"""
# redis-py imports OpenTelemetry's metrics API when it is installed; the tracing SDK,
# the exporter and protobuf are the gateway's own cost and load only with tracing.
_TRACING_MODULES = (
    "app.observability.otel",
    "opentelemetry.sdk.trace",
    "opentelemetry.exporter.otlp.proto.http",
    "google.protobuf",
)


def test_without_tracing_the_tracing_sdk_is_never_imported(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("general_settings:\n  otel:\n    endpoint: http://127.0.0.1:9\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DATABASE_URL"))},
        "DELTALLM_DATA_DIR": str(tmp_path / "data"),
    }

    def imported(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", _BUILD_APP.format(modules=_TRACING_MODULES), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip()

    assert imported() == "[]"
    assert imported(str(config)) == str(list(_TRACING_MODULES))
