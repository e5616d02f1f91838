"""Presidio guardrails on the request path, through the OpenAI SDK against a real gateway
whose loopback upstream records what it received: masking and blocking per entity type,
streams, embeddings, restoring masked values in the answer, the applied-guardrails header,
and the request log of a blocked call (settled at no cost)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import openai
import pytest
from sqlmodel import select

from app.keys.spec import KeySpec
from app.spend.models import SpendLog
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.scrape import scrape

SAMPLES = {
    "EMAIL_ADDRESS": "jane.doe@example.com",
    "PHONE_NUMBER": "212-555-0123",
    "CREDIT_CARD": "4111 1111 1111 1111",
    "IBAN_CODE": "DE89370400440532013000",
    "US_SSN": "536-22-8714",
    "IP_ADDRESS": "192.168.1.20",
    "CRYPTO": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    "URL": "https://intranet.example.org/payroll",
}
MASKED = {name: "MASK" for name in SAMPLES if name != "CREDIT_CARD"} | {"CREDIT_CARD": "BLOCK"}


def _policy(name: str, entities: dict[str, str], **params: Any) -> dict[str, Any]:
    return {
        "guardrail_name": name,
        "litellm_params": {"guardrail": "presidio", "pii_entities_config": entities, **params},
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    params = {
        "api_base": fake_openai.base_url,
        "input_cost_per_token": 0.001,
        "output_cost_per_token": 0.001,
    }
    config = {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "guardrails": ["pii"], **params},
            },
            {"model_name": "gpt-b", "deltallm_params": {"model": "openai/gpt-b", **params}},
            {
                "model_name": "emb",
                "deltallm_params": {"model": "openai/emb", "guardrails": ["pii"], **params},
            },
        ],
        "guardrails": [
            _policy("pii", MASKED),
            _policy("pii-block", dict.fromkeys(SAMPLES, "BLOCK")),
            _policy("pii-restore", {"EMAIL_ADDRESS": "MASK"}, output_parse_pii=True),
            _policy(
                "pii-out",
                {"EMAIL_ADDRESS": "BLOCK"},
                mode="post_call",
            ),
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        yield gw


async def spend_rows(gw: RunningGateway) -> list[SpendLog]:
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    async with gw.runtime.sessions() as session:
        return list((await session.exec(select(SpendLog).order_by(SpendLog.started_at))).all())


def _prompt(*names: str) -> str:
    return "Contact details: " + "; ".join(f"{n.lower()} {SAMPLES[n]}" for n in names) + "."


async def test_every_pattern_entity_is_masked_before_the_upstream(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    masked = [n for n in SAMPLES if n != "CREDIT_CARD"]
    async with gateway.client() as client:
        raw = await client.chat.completions.with_raw_response.create(
            model="gpt-a", messages=[{"role": "user", "content": _prompt(*masked)}]
        )
    assert raw.headers["x-deltallm-applied-guardrails"] == "pii"
    sent = fake_openai.requests[-1].body["messages"][0]["content"]
    for name in masked:
        assert SAMPLES[name] not in sent, name
        assert f"<{name}>" in sent, (name, sent)


async def test_each_entity_blocks_where_configured_and_never_reaches_the_upstream(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as client:
        for name in SAMPLES:
            with pytest.raises(openai.BadRequestError) as caught:
                await client.chat.completions.create(
                    model="gpt-b",
                    messages=[{"role": "user", "content": _prompt(name)}],
                    extra_body={"guardrails": ["pii-block"]},
                )
            error = caught.value.body
            assert isinstance(error, dict)
            assert error["code"] == "guardrail_violation"
            assert name in error["message"] and "pii" in error["message"]
            assert SAMPLES[name] not in error["message"]
            applied = caught.value.response.headers["x-deltallm-applied-guardrails"]
            assert applied == "pii-block"
    assert fake_openai.requests == []


async def test_a_blocked_call_settles_at_no_cost_and_is_logged_without_the_text(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    # Room for one call's reservation at a time (about 0.02 each at 10 output tokens).
    spec = KeySpec(max_parallel_requests=1, max_budget=Decimal("0.03"))
    key = await gateway.runtime.keys.create(spec)
    async with gateway.client(key.secret) as client:
        with pytest.raises(openai.BadRequestError):
            await client.chat.completions.create(
                model="gpt-a",
                messages=[{"role": "user", "content": _prompt("CREDIT_CARD")}],
                max_tokens=10,
            )
        await gateway.runtime.gateway.settler.drain()
        # The refused call's parallel slot and reservation are released: the next one runs.
        await client.chat.completions.create(
            model="gpt-a", messages=[{"role": "user", "content": "Hello"}], max_tokens=10
        )
    blocked, ok = await spend_rows(gateway)
    assert (blocked.status, blocked.status_code, blocked.cost) == ("error", 400, 0)
    assert blocked.error_message is not None and "pii" in blocked.error_message
    assert "CREDIT_CARD" in blocked.error_message
    assert SAMPLES["CREDIT_CARD"] not in blocked.error_message
    assert blocked.guardrails == ["pii"]
    assert (ok.status, ok.guardrails) == ("ok", ["pii"])
    assert ok.cost > 0


async def test_streams_embeddings_and_completions_are_masked(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    async with gateway.client() as client:
        stream = await client.chat.completions.create(
            model="gpt-a",
            messages=[{"role": "user", "content": _prompt("EMAIL_ADDRESS")}],
            stream=True,
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        raw = await client.embeddings.with_raw_response.create(
            model="emb", input=["call 212-555-0123", "nothing here"]
        )
        await client.completions.create(model="gpt-a", prompt="My IP is 192.168.1.20")
        completion_stream = await client.completions.create(
            model="gpt-a", prompt="IBAN DE89370400440532013000", stream=True
        )
        await completion_stream.close()  # the stand-in does not stream completions
    assert text == fake_openai.reply
    assert "<EMAIL_ADDRESS>" in fake_openai.requests[0].body["messages"][0]["content"]
    assert fake_openai.requests[1].body["input"] == ["call <PHONE_NUMBER>", "nothing here"]
    assert fake_openai.requests[2].body["prompt"] == "My IP is <IP_ADDRESS>"
    assert fake_openai.requests[3].body["prompt"] == "IBAN <IBAN_CODE>"
    assert raw.headers["x-deltallm-applied-guardrails"] == "pii"


async def test_output_parse_pii_restores_masked_values_in_the_answer(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "I will write to <EMAIL_ADDRESS_1> today."
    messages = [{"role": "user", "content": "Write to jane.doe@example.com please"}]
    async with gateway.client() as client:
        answer = await client.chat.completions.create(
            model="gpt-b", messages=messages, extra_body={"guardrails": ["pii-restore"]}
        )
        stream = await client.chat.completions.create(
            model="gpt-b",
            messages=messages,
            stream=True,
            extra_body={"guardrails": ["pii-restore"]},
        )
        streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert fake_openai.requests[0].body["messages"][0]["content"] == (
        "Write to <EMAIL_ADDRESS_1> please"
    )
    assert answer.choices[0].message.content == "I will write to jane.doe@example.com today."
    assert streamed == "I will write to jane.doe@example.com today."


async def test_a_placeholder_streamed_in_pieces_is_restored_whole(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    pieces = ["Mail <", "EMAIL", "_ADDRESS", "_1> now, a < b", "."]
    events = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-b",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        for piece in pieces
    ]
    events.append({**events[0], "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    fake_openai.answer_next_raw(body + b"data: [DONE]\n\n", "text/event-stream")
    async with gateway.client() as client:
        stream = await client.chat.completions.create(
            model="gpt-b",
            messages=[{"role": "user", "content": "Write to jane.doe@example.com please"}],
            stream=True,
            extra_body={"guardrails": ["pii-restore"]},
        )
        deltas = [c.choices[0].delta.content or "" async for c in stream if c.choices]
    assert "".join(deltas) == "Mail jane.doe@example.com now, a < b."
    assert "jane.doe@example.com" in deltas[3]


async def test_post_call_blocks_an_answer_but_only_notes_a_stream_it_could_not_stop(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "Mail the boss at boss@example.com now"
    messages = [{"role": "user", "content": "Who do I mail?"}]
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="gpt-b", messages=messages, extra_body={"guardrails": ["pii-out"]}
            )
        stream = await client.chat.completions.create(
            model="gpt-b", messages=messages, stream=True, extra_body={"guardrails": ["pii-out"]}
        )
        streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert "boss@example.com" not in str(caught.value.body)
    assert streamed == fake_openai.reply
    blocked, sent = await spend_rows(gateway)
    assert (blocked.status, blocked.status_code) == ("error", 400)
    assert blocked.prompt_tokens > 0  # the upstream answered: what it used is recorded
    assert (sent.status, sent.status_code) == ("ok", 200)
    assert sent.error_message is not None
    assert "already been sent" in sent.error_message and "pii-out" in sent.error_message
    metrics = await scrape(gateway.root, gateway.master_key)
    checks = "deltallm_guardrail_checks_total"
    assert metrics.value(checks, guardrail="pii-out", mode="post_call", outcome="blocked") == 1
    assert metrics.value(checks, guardrail="pii-out", mode="post_call", outcome="unstopped") == 1
