"""testModelDeployment and deployment health over POST /graphql, against a real HTTP
upstream on loopback and the built-in demo model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from app.audit.models import AuditLog
from app.deployments.testing import PROMPT
from app.users.models import PlatformRole
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in

TEST = """mutation($id: ID!) { testModelDeployment(id: $id) {
  deployment { id modelName model } answer latencyMs promptTokens completionTokens
  error { code message statusCode } errors { field code } } }"""
HEALTH = """{ routerDeployments { id modelName model health { healthy lastProbeAt error
  coolingDownUntil inFlight latencyMs } } }"""


@pytest.fixture
async def gateway(
    fake_openai: FakeOpenAI, second_fake_openai: FakeOpenAI
) -> AsyncIterator[RunningGateway]:
    def upstream(fake: FakeOpenAI, ident: str) -> dict[str, Any]:
        params = {"model": "openai/gpt-a", "api_base": fake.base_url}
        return {"model_name": "gpt-a", "deltallm_params": params, "model_info": {"id": ident}}

    config = {
        "model_list": [
            upstream(fake_openai, "gpt-a-main"),
            upstream(second_fake_openai, "gpt-a-second"),
            {"model_name": "echo", "deltallm_params": {"model": "demo/echo"}},
            {"model_name": "openai/*", "deltallm_params": {"model": "openai/*"}},
        ],
        "router_settings": {"num_retries": 2},
    }
    async with running_gateway(config) as gw:
        yield gw


async def run_test(gw: RunningGateway, ident: str, **kw: Any) -> dict[str, Any]:
    body = await gql(gw, TEST, {"id": ident}, **kw)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["testModelDeployment"]
    return payload


async def test_one_request_to_exactly_that_deployment(
    gateway: RunningGateway, fake_openai: FakeOpenAI, second_fake_openai: FakeOpenAI
) -> None:
    payload = await run_test(gateway, "gpt-a-main")
    assert payload["deployment"] == {
        "id": "gpt-a-main",
        "modelName": "gpt-a",
        "model": "openai/gpt-a",
    }
    assert payload["answer"] == "Hello there!" and payload["error"] is None
    assert payload["errors"] == [] and payload["latencyMs"] > 0
    assert (payload["promptTokens"], payload["completionTokens"]) == (9, 3)
    assert [r.body["messages"][0]["content"] for r in fake_openai.requests] == [PROMPT]
    assert fake_openai.requests[0].body["max_tokens"] == 16
    assert second_fake_openai.requests == []

    fake_openai.fail_next(503, "overloaded")  # retryable: the router would retry elsewhere
    failed = await run_test(gateway, "gpt-a-main")
    assert failed["answer"] is None and failed["errors"] == []
    assert (
        failed["error"]["statusCode"] in (502, 503) and "overloaded" in failed["error"]["message"]
    )
    assert len(fake_openai.requests) == 2 and second_fake_openai.requests == []

    async with gateway.runtime.sessions() as session:
        rows = (
            await session.exec(select(AuditLog).where(AuditLog.action == "deployment.test"))
        ).all()
    assert [(r.target_id, r.after["ok"], r.actor_id) for r in rows] == [
        ("gpt-a-main", True, "master"),
        ("gpt-a-main", False, "master"),
    ]


async def test_the_demo_model_and_bad_targets(gateway: RunningGateway) -> None:
    (echo,) = [d for d in gateway.runtime.router.deployments if d.model_name == "echo"]
    payload = await run_test(gateway, echo.id)
    assert payload["answer"] == f"You said: {PROMPT}" and payload["error"] is None
    unknown = await run_test(gateway, "no-such-deployment")
    assert unknown["errors"] == [{"field": "id", "code": "deployment_not_found"}]
    assert unknown["deployment"] is None and unknown["latencyMs"] is None
    (wildcard,) = [d for d in gateway.runtime.router.deployments if d.is_wildcard]
    refused = await run_test(gateway, wildcard.id)
    assert refused["errors"] == [{"field": "id", "code": "wildcard_deployment"}]
    _, co_admin = await signed_in(gateway, platform_role=PlatformRole.PLATFORM_CO_ADMIN)
    forbidden = await gql(gateway, TEST, {"id": echo.id}, headers=co_admin)
    assert codes(forbidden) == ["FORBIDDEN"] and forbidden["data"] is None
    seen = await gql(gateway, HEALTH, headers=co_admin)
    assert len(seen["data"]["routerDeployments"]) == 4
    _, member = await signed_in(gateway)
    assert codes(await gql(gateway, HEALTH, headers=member)) == ["FORBIDDEN"]


async def test_health_shows_probes_and_cooldowns(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    before = {
        d["id"]: d["health"] for d in (await gql(gateway, HEALTH))["data"]["routerDeployments"]
    }
    assert before["gpt-a-main"]["healthy"] is None and before["gpt-a-main"]["lastProbeAt"] is None
    assert before["gpt-a-main"]["coolingDownUntil"] is None
    fake_openai.fail_next(401, "bad key")
    await gateway.runtime.health.check_all()
    router = gateway.runtime.router
    router.deployment("gpt-a-second").record_failure(allowed_fails=1, cooldown=60, immediate=True)
    after = {
        d["id"]: d["health"] for d in (await gql(gateway, HEALTH))["data"]["routerDeployments"]
    }
    assert after["gpt-a-main"]["healthy"] is False and "bad key" in after["gpt-a-main"]["error"]
    assert after["gpt-a-main"]["lastProbeAt"] is not None
    assert after["gpt-a-second"]["healthy"] is True
    assert after["gpt-a-second"]["coolingDownUntil"] is not None
    assert after["gpt-a-main"]["coolingDownUntil"] is None


async def test_a_stored_deployment_can_be_tested_and_shows_its_health(
    gateway: RunningGateway,
) -> None:
    create = """mutation { createModelDeployment(input: {modelName: "stored",
      params: {model: "demo/echo"}}) { deployment { id } errors { code } } }"""
    created = (await gql(gateway, create))["data"]["createModelDeployment"]
    ident = created["deployment"]["id"]
    await gateway.runtime.reloader.reload()
    payload = await run_test(gateway, ident)
    assert (
        payload["deployment"]["modelName"] == "stored"
        and payload["answer"] == f"You said: {PROMPT}"
    )
    listed = await gql(
        gateway, "{ modelDeployments { edges { node { id health { inFlight latencyMs } } } } }"
    )
    (node,) = [e["node"] for e in listed["data"]["modelDeployments"]["edges"]]
    assert node["id"] == ident and node["health"]["inFlight"] == 0
    assert node["health"]["latencyMs"] is not None
