"""Guardrails and the response cache together: pre-call guardrails run before the lookup,
so an entry is keyed on the masked request, and a cached answer never lets a call skip a
guardrail its key runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from app.keys.spec import KeySpec
from tests.support.cache import cache_config
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.tenancy import make_org, make_team


def _guard(name: str, **params: Any) -> dict[str, Any]:
    return {"guardrail_name": name, "litellm_params": {"guardrail": "keywords", **params}}


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = cache_config(fake_openai)
    config["guardrails"] = [
        _guard("codename", keywords=["falcon"], keyword_action="MASK", default_on=True),
        _guard("tickets", patterns=[r"ACME-\d{4}"]),
    ]
    async with running_gateway(config) as gw:
        yield gw


async def ask(gw: RunningGateway, secret: str, text: str) -> Any:
    async with gw.client(secret) as client:
        return await client.chat.completions.with_raw_response.create(
            model="gpt-c", messages=[{"role": "user", "content": text}]
        )


async def test_entries_are_keyed_on_the_masked_request(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    team = await make_team(gateway.runtime.sessions, await make_org(gateway.runtime.sessions))
    key = await gateway.runtime.keys.create(KeySpec(team_id=team.id))
    first = await ask(gateway, key.secret, "What is project falcon?")
    second = await ask(gateway, key.secret, "What is project falcon?")
    assert [first.headers["x-deltallm-cache"], second.headers["x-deltallm-cache"]] == [
        "miss",
        "hit",
    ]
    for answer in (first, second):
        assert "codename" in answer.headers["x-deltallm-applied-guardrails"].split(",")
    assert len(fake_openai.requests) == 1
    sent = fake_openai.requests[0].body["messages"][0]["content"]
    assert "falcon" not in sent and sent.startswith("What is project ")


async def test_a_cached_answer_never_skips_a_guardrail_the_key_runs(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    team = await make_team(gateway.runtime.sessions, await make_org(gateway.runtime.sessions))
    plain = await gateway.runtime.keys.create(KeySpec(team_id=team.id))
    guarded = await gateway.runtime.keys.create(KeySpec(team_id=team.id, guardrails=["tickets"]))
    text = "Summarise ticket ACME-1234"
    assert (await ask(gateway, plain.secret, text)).headers["x-deltallm-cache"] == "miss"
    # Same organization, same request: the entry exists, but the guardrail runs first.
    with pytest.raises(openai.BadRequestError) as caught:
        await ask(gateway, guarded.secret, text)
    assert caught.value.code == "guardrail_violation"
    assert "ACME-1234" not in caught.value.message
    assert caught.value.response.headers.get("x-deltallm-cache") is None
    assert len(fake_openai.requests) == 1
