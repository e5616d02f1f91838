"""Traces that capture content record the prompt as the guardrails masked it, a
``logging_only`` guardrail's masks included (the upstream still gets that text), and never
the prompt of a call a guardrail refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from tests.integration.test_tracing import _config, _spans
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import running_gateway
from tests.support.otlp_collector import FakeCollector


@pytest.fixture(autouse=True)
def quick_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")


@pytest.fixture
async def collector() -> AsyncIterator[FakeCollector]:
    server = await FakeCollector().start()
    try:
        yield server
    finally:
        await server.stop()


def _guard(name: str, mode: str, **params: Any) -> dict[str, Any]:
    params = {"guardrail": "keywords", "mode": mode, "default_on": True, **params}
    return {"guardrail_name": name, "litellm_params": params}


async def test_captured_content_is_masked_and_refused_prompts_are_not_captured(
    collector: FakeCollector, fake_openai: FakeOpenAI
) -> None:
    config = _config(collector, fake_openai, capture=True)
    config["guardrails"] = [
        _guard("ids", "pre_call", patterns=[r"zebra-\d+"], keyword_action="MASK"),
        _guard("quiet", "logging_only", keywords=["hello"], keyword_action="MASK"),
        _guard("stop", "pre_call", keywords=["forbidden"]),
    ]
    async with running_gateway(config) as gateway, gateway.client() as client:
        raw = await client.chat.completions.with_raw_response.create(
            model="chat-fake", messages=[{"role": "user", "content": "Say hello to zebra-42"}]
        )
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="chat-fake", messages=[{"role": "user", "content": "forbidden zebra"}]
            )
        ok, _ = await _spans(collector, raw.headers["x-request-id"])
        refused, _ = await _spans(
            collector, caught.value.response.headers["x-request-id"], attempts=0
        )
    assert fake_openai.requests[0].body["messages"][0]["content"] == "Say hello to <PATTERN>"
    inputs = json.loads(ok.attributes["gen_ai.input.messages"])
    assert inputs[0]["parts"][0]["content"] == "Say <KEYWORD> to <PATTERN>"
    outputs = json.loads(ok.attributes["gen_ai.output.messages"])
    assert outputs[0]["parts"][0]["content"] == "<KEYWORD> there!"
    assert "gen_ai.input.messages" not in refused.attributes
