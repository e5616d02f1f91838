"""Guardrail policies set over POST /graphql reach the request path at once, with every
field (keyword rules, Presidio thresholds, allow list, extra recognizers, fallbacks); their
service URLs are checked like deployments' (no link-local, no credentials)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql

SET_GUARD = """mutation($input: GuardrailPolicyInput!) { setGuardrailPolicy(input: $input)
  { guardrail { name keywords patterns keywordAction scoreThresholds { entity score }
      allowList adHocRecognizers { name supportedEntity patterns { regex score } denyList }
      outputParsePii analyzerApiBase onFlagged timeout unreachableFallback streamHold }
    errors { field message code } } }"""


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    params = {"model": "openai/gpt-a", "api_base": fake_openai.base_url}
    config = {"model_list": [{"model_name": "gpt-a", "deltallm_params": params}]}
    async with running_gateway(config) as gw:
        yield gw


async def test_a_policy_set_over_graphql_guards_the_next_call(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    policy: dict[str, Any] = {
        "name": "words",
        "guardrail": "KEYWORDS",
        "defaultOn": True,
        "keywords": ["project falcon"],
        "patterns": [r"ACME-\d{4}"],
        "keywordAction": "BLOCK",
        "scoreThresholds": [{"entity": "PHONE_NUMBER", "score": 0.3}],
        "allowList": ["support@example.com"],
        "adHocRecognizers": [
            {
                "supportedEntity": "EMPLOYEE_ID",
                "patterns": [{"regex": r"EMP-\d{6}", "score": 0.9}],
                "denyList": ["Falcon"],
            }
        ],
        "onFlagged": "MONITOR",
        "timeout": 2.5,
        "unreachableFallback": "FAIL_OPEN",
        "streamHold": True,
    }
    body = await gql(gateway, SET_GUARD, {"input": policy})
    payload = body["data"]["setGuardrailPolicy"]
    assert payload["errors"] == []
    stored = payload["guardrail"]
    assert stored["adHocRecognizers"] == [
        {
            "name": "",
            "supportedEntity": "EMPLOYEE_ID",
            "patterns": [{"regex": r"EMP-\d{6}", "score": 0.9}],
            "denyList": ["Falcon"],
        }
    ]
    assert (stored["onFlagged"], stored["unreachableFallback"]) == ("MONITOR", "FAIL_OPEN")
    assert stored["scoreThresholds"] == [{"entity": "PHONE_NUMBER", "score": 0.3}]
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="gpt-a", messages=[{"role": "user", "content": "Order ACME-1234"}]
            )
        assert caught.value.response.headers["x-deltallm-applied-guardrails"] == "words"
        raw = await client.chat.completions.with_raw_response.create(
            model="gpt-a", messages=[{"role": "user", "content": "Hello"}]
        )
    assert raw.headers["x-deltallm-applied-guardrails"] == "words"
    assert len(fake_openai.requests) == 1


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("http://169.254.169.254/", "analyzerApiBase"),
        ("http://user:pw@presidio.example.com", "anonymizerApiBase"),
    ],
)
async def test_presidio_server_urls_are_checked(
    gateway: RunningGateway, url: str, field: str
) -> None:
    policy = {"name": "pii", "guardrail": "PRESIDIO", field: url}
    body = await gql(gateway, SET_GUARD, {"input": policy})
    errors = body["data"]["setGuardrailPolicy"]["errors"]
    assert errors and errors[0]["field"] == field


CREATE_DEPLOYMENT = """mutation($input: CreateModelDeploymentInput!) {
  createModelDeployment(input: $input) { deployment { params } errors { field code } } }"""


async def test_a_deployment_created_over_graphql_runs_its_guardrails(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    words = {"name": "words", "guardrail": "KEYWORDS", "keywords": ["falcon"]}
    assert (await gql(gateway, SET_GUARD, {"input": words}))["data"]["setGuardrailPolicy"][
        "errors"
    ] == []
    params = {"model": "openai/up", "api_base": fake_openai.base_url, "guardrails": ["words"]}
    body = await gql(
        gateway, CREATE_DEPLOYMENT, {"input": {"modelName": "guarded", "params": params}}
    )
    created = body["data"]["createModelDeployment"]
    assert created["errors"] == [] and created["deployment"]["params"]["guardrails"] == ["words"]
    await gateway.runtime.reloader.reload()
    falcon = [{"role": "user", "content": "a falcon"}]
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError):
            await client.chat.completions.create(model="guarded", messages=falcon)
        await client.chat.completions.create(model="gpt-a", messages=falcon)
    assert [r.body["model"] for r in fake_openai.requests] == ["gpt-a"]
