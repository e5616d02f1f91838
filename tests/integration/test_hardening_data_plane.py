"""What an outsider and a low-privileged key could do to the data plane, and can no more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest

from app.keys.spec import KeySpec
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql

UPSTREAM_KEY = "sk-proj-UPSTREAMsecret123456"
PRICE = {"input_cost_per_token": "0.000001", "output_cost_per_token": "0.000001"}
HI = [{"role": "user", "content": "Hi"}]


def _config(fake: FakeOpenAI, **general: Any) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "gpt-test",
                "deltallm_params": {
                    "model": "openai/up",
                    "api_base": fake.base_url,
                    "api_key": UPSTREAM_KEY,
                    **PRICE,
                },
            },
            {
                "model_name": "embed-test",
                "deltallm_params": {"model": "openai/embed-up", "api_base": fake.base_url},
                "model_info": {"mode": "embedding"},
            },
        ],
        "general_settings": general,
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(_config(fake_openai)) as gw:
        yield gw


async def _member_key(gw: RunningGateway, **spec: Any) -> str:
    return (await gw.runtime.keys.create(KeySpec(**spec))).secret


@pytest.mark.parametrize(
    ("status", "body", "answered"),
    [
        (500, f"<html>proxy echo: Authorization: Bearer {UPSTREAM_KEY}</html>", 502),
        (401, {"error": {"message": f"Incorrect API key provided: {UPSTREAM_KEY}"}}, 502),
        (400, {"error": {"message": f"bad request; api_key={UPSTREAM_KEY} x"}}, 400),
        (503, {"error": {"message": f"overloaded (key {UPSTREAM_KEY})"}}, 503),
    ],
)
async def test_upstream_error_bodies_never_reach_callers_with_secrets(
    gateway: RunningGateway,
    fake_openai: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: Any,
    answered: int,
) -> None:
    for _ in range(5):  # the router retries server errors
        fake_openai.fail_next(status, body=body)
    async with gateway.client(await _member_key(gateway)) as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="gpt-test", messages=HI)
    error = caught.value
    assert UPSTREAM_KEY not in str(error.body) and "sk-proj" not in str(error.body)
    assert "<html>" not in str(error.body)
    assert error.status_code == answered
    assert UPSTREAM_KEY not in caplog.text  # the operator's log is redacted too
    assert f"answered HTTP {status}" in caplog.text


async def test_an_upstream_echoing_the_request_keeps_the_prompt_out_of_the_log(
    gateway: RunningGateway, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    prompt = [{"role": "user", "content": "my diagnosis is confidential-marker-7731"}]
    for _ in range(5):  # the router retries server errors
        fake_openai.fail_next(502, body=f"<html>bad gateway; you sent: {prompt}</html>")
    async with gateway.client(await _member_key(gateway)) as client:
        with pytest.raises(openai.APIStatusError):
            await client.chat.completions.create(model="gpt-test", messages=prompt)  # type: ignore[arg-type]
    assert "answered HTTP 502" in caplog.text
    assert "confidential-marker-7731" not in caplog.text


async def test_reservations_multiply_by_n_and_n_is_bounded(gateway: RunningGateway) -> None:
    # $0.05: one choice of 10,000 output tokens ($0.01) fits; 1,000 choices do not.
    secret = await _member_key(gateway, max_budget=Decimal("0.05"))
    async with gateway.client(secret) as client:
        reply = await client.chat.completions.create(
            model="gpt-test", messages=HI, max_tokens=10_000, n=1
        )
        assert reply.choices[0].message.content == "Hello there!"
        with pytest.raises(openai.RateLimitError) as refused:
            await client.chat.completions.create(
                model="gpt-test", messages=HI, max_tokens=10_000, n=100
            )
        assert refused.value.code == "budget_exceeded"
        with pytest.raises(openai.BadRequestError) as bounded:
            await client.chat.completions.create(
                model="gpt-test", messages=HI, max_tokens=10_000, n=1_000_000
            )
        assert bounded.value.param == "n"


async def test_valid_looking_inputs_are_served_or_refused_with_400(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    secret = await _member_key(gateway, max_budget=Decimal("100"))
    async with gateway.client(secret) as client:
        vectors = await client.embeddings.create(model="embed-test", input=[[1, 2, 3], [4, 5]])
        assert len(vectors.data) >= 1
        assert fake_openai.requests[-1].body["input"] == [[1, 2, 3], [4, 5]]
        completion = await client.completions.create(model="gpt-test", prompt=[1, 2, 3])
        assert completion.choices[0].text == "Hello there!"
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=headers) as http:
        for max_tokens in (10**30, 2**31):
            answer = await http.post(
                "/chat/completions",
                json={"model": "gpt-test", "messages": HI, "max_tokens": max_tokens},
            )
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["param"] == "max_tokens"


async def test_deployment_health_is_for_admins(gateway: RunningGateway) -> None:
    member = await _member_key(gateway)
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        refused = await http.get("/health", headers={"Authorization": f"Bearer {member}"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "admin_only"
        assert "api_base" not in refused.text
        master = {"Authorization": f"Bearer {gateway.master_key}"}
        assert (await http.get("/health", headers=master)).status_code == 200
        assert (await http.get("/health/liveliness")).status_code == 200
        assert (await http.get("/health/readiness")).status_code == 200


CREATE = """mutation($input: CreateModelDeploymentInput!) { createModelDeployment(input: $input)
  { deployment { id } errors { field message code } } }"""
GUARDRAIL = """mutation($input: GuardrailPolicyInput!) { setGuardrailPolicy(input: $input)
  { guardrail { name } errors { field message code } } }"""


async def _create(gw: RunningGateway, api_base: str) -> list[dict[str, Any]]:
    params = {"model": "openai/x", "api_base": api_base}
    body = await gql(gw, CREATE, {"input": {"modelName": "m", "params": params}})
    errors: list[dict[str, Any]] = body["data"]["createModelDeployment"]["errors"]
    return errors


async def test_admin_api_bases_are_checked(fake_openai: FakeOpenAI) -> None:
    async with running_gateway(_config(fake_openai, allow_private_upstreams=False)) as gw:
        refused = {
            "http://user:pw@api.example.com/v1": "credentials",
            "http://169.254.169.254/latest": "link-local",
            "http://[fe80::1]/v1": "link-local",
            "http://127.0.0.1:8000/v1": "allow_private_upstreams",
            "http://localhost:11434/v1": "allow_private_upstreams",
            "http://10.1.2.3/v1": "allow_private_upstreams",
            "http://0.0.0.0/v1": "unspecified",
        }
        for api_base, reason in refused.items():
            [error] = await _create(gw, api_base)
            assert error["field"] == "params.api_base", api_base
            assert reason in error["message"], (api_base, error)
        assert await _create(gw, "https://api.example.com/v1") == []
        guardrail = {"name": "g", "guardrail": "LAKERA", "apiBase": "http://169.254.169.254"}
        body = await gql(gw, GUARDRAIL, {"input": guardrail})
        [error] = body["data"]["setGuardrailPolicy"]["errors"]
        assert "link-local" in error["message"]
    async with running_gateway(_config(fake_openai, allow_private_upstreams=True)) as gw:
        assert await _create(gw, fake_openai.base_url) == []
        [own] = await _create(gw, f"http://127.0.0.1:{gw.runtime.settings.port}/v1")
        assert "own listener" in own["message"]
        [metadata] = await _create(gw, "http://169.254.169.254/")
        assert "link-local" in metadata["message"]


CREATE_KEY = """mutation($input: CreateKeyInput!) { createKey(input: $input)
  { secret errors { field code } } }"""


async def test_create_key_bounds_expiry_and_lists(gateway: RunningGateway) -> None:
    past = {"expiresAt": "2020-01-01T00:00:00+00:00"}
    body = await gql(gateway, CREATE_KEY, {"input": past})
    assert body["data"]["createKey"]["secret"] is None
    assert [e["field"] for e in body["data"]["createKey"]["errors"]] == ["expiresAt"]
    for field, value in (("models", [f"m{i}" for i in range(1001)]), ("tags", ["x" * 300])):
        body = await gql(gateway, CREATE_KEY, {"input": {field: value}})
        assert [e["field"] for e in body["data"]["createKey"]["errors"]] == [field]
    body = await gql(gateway, CREATE_KEY, {"input": {"models": ["gpt-test"], "tags": ["ok"]}})
    assert body["data"]["createKey"]["errors"] == []
