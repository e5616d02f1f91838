"""What the gateway keeps is masked: a stored Responses answer and its conversation carry
what ``pre_call`` masked masked, and what a ``logging_only`` guardrail finds masked too,
as does an upstream error kept in the request log, while the upstream and the caller see
the text a ``logging_only`` guardrail leaves alone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
from sqlmodel import select

from app.spend.models import SpendLog
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway


def _guard(name: str, mode: str, word: str) -> dict[str, object]:
    params = {"guardrail": "keywords", "keywords": [word], "keyword_action": "MASK"}
    return {"guardrail_name": name, "litellm_params": {**params, "mode": mode, "default_on": True}}


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    params = {"model": "openai/gpt-a", "api_base": fake_openai.base_url}
    config = {
        "model_list": [{"model_name": "gpt-a", "deltallm_params": params}],
        "guardrails": [
            _guard("hide", "pre_call", "falcon"),
            _guard("quiet", "logging_only", "eagle"),
        ],
        "general_settings": {
            "responses_store": {"enabled": True, "retention_days": 7},
            "proxy_batch_write_at": 0.1,
        },
    }
    async with running_gateway(config) as gw:
        yield gw


async def test_a_stored_response_is_masked_by_pre_call_and_logging_only_guardrails(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "The eagle has landed"
    async with gateway.client() as sdk:
        raw = await sdk.responses.with_raw_response.create(
            model="gpt-a", input="the falcon and the eagle"
        )
        response = raw.parse()
    assert raw.headers["x-deltallm-applied-guardrails"] == "hide,quiet"
    assert response.output_text == "The eagle has landed"
    sent = str(fake_openai.requests[-1].body)
    assert "falcon" not in sent and "the <KEYWORD> and the eagle" in sent
    store = gateway.runtime.responses_store
    assert store is not None
    row = await store.get(None, response.id)
    kept = str(row.conversation) + str(row.response)
    assert "falcon" not in kept and "eagle" not in kept
    assert "the <KEYWORD> and the <KEYWORD>" in str(row.conversation)
    assert "The <KEYWORD> has landed" in str(row.response)


async def test_an_upstream_error_in_the_request_log_is_masked_by_logging_only_guardrails(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail_next(400, "the model refused to talk about the eagle today")
    async with gateway.client() as sdk:
        with pytest.raises(openai.BadRequestError):
            await sdk.chat.completions.create(
                model="gpt-a", messages=[{"role": "user", "content": "the eagle"}]
            )
    await gateway.runtime.gateway.settler.drain()
    await gateway.runtime.spend_queue.flush()
    async with gateway.runtime.sessions() as session:
        (row,) = (await session.exec(select(SpendLog))).all()
    assert row.error_message is not None
    assert "eagle" not in row.error_message
    assert "the model refused to talk about the <KEYWORD> today" in row.error_message
    assert row.guardrails == ["hide", "quiet"]
