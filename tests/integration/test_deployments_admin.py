"""Model deployments in the database: managed over GraphQL, served within a second."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from sqlmodel import col, select

from app.audit.models import ActorType, AuditLog
from app.deployments.models import ModelDeployment
from app.users.models import PlatformRole
from tests.support.db import fresh_database
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in

UPSTREAM_KEY = "sk-upstream-very-secret-4242"

CREATE = """mutation($input: CreateModelDeploymentInput!) { createModelDeployment(input: $input)
  { deployment { id modelName params modelInfo hasApiKey createdBy }
    errors { field message code } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateModelDeploymentInput!) {
  updateModelDeployment(id: $id, input: $input)
  { deployment { id modelName params hasApiKey } errors { field message code } } }"""
DELETE = """mutation($id: ID!) { deleteModelDeployment(id: $id) { deletedId errors { code } } }"""
LIST = """{ modelDeployments { totalCount edges { node {
    id modelName params modelInfo hasApiKey } } } }"""


def listed_nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    connection = body["data"]["modelDeployments"]
    assert connection["totalCount"] == len(connection["edges"])
    return [edge["node"] for edge in connection["edges"]]


def config_for(upstream: FakeOpenAI) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "from-config",
                "deltallm_params": {"model": "openai/cfg", "api_base": upstream.base_url},
            }
        ]
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(config_for(fake_openai)) as gw:
        yield gw


def deployment_input(upstream: FakeOpenAI, name: str = "db-model") -> dict[str, Any]:
    return {
        "modelName": name,
        "params": {
            "model": "openai/upstream-model",
            "api_base": upstream.base_url,
            "api_key": UPSTREAM_KEY,
            "timeout": 30,
        },
        "modelInfo": {"mode": "chat"},
    }


async def chat(gw: RunningGateway, model: str) -> str | None:
    async with gw.client() as client:
        reply = await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hi"}]
        )
    return reply.choices[0].message.content


async def served_within(gw: RunningGateway, model: str, seconds: float = 1.0) -> float:
    """Seconds until ``model`` answers on ``gw`` (fails after ``seconds``)."""
    started = time.monotonic()
    while True:
        try:
            assert await chat(gw, model) == "Hello there!"
            return time.monotonic() - started
        except openai.NotFoundError:
            if time.monotonic() - started > seconds:
                raise
            await asyncio.sleep(0.05)


async def gone_within(gw: RunningGateway, model: str, seconds: float = 1.0) -> None:
    started = time.monotonic()
    while True:
        try:
            await chat(gw, model)
        except openai.NotFoundError:
            return
        assert time.monotonic() - started < seconds, f"{model} is still served"
        await asyncio.sleep(0.05)


async def test_create_update_delete_take_effect_and_are_audited(
    gateway: RunningGateway, fake_openai: FakeOpenAI, second_fake_openai: FakeOpenAI
) -> None:
    body = await gql(gateway, CREATE, {"input": deployment_input(fake_openai)})
    payload = body["data"]["createModelDeployment"]
    assert payload["errors"] == []
    created = payload["deployment"]
    assert created["modelName"] == "db-model" and created["hasApiKey"] is True
    assert created["params"]["model"] == "openai/upstream-model"
    assert "api_key" not in created["params"] and created["createdBy"] == "master"
    assert UPSTREAM_KEY not in str(body)
    assert await served_within(gateway, "db-model") < 1.0
    assert await chat(gateway, "from-config") == "Hello there!"
    upstream = fake_openai.requests[-2]
    assert upstream.body["model"] == "upstream-model"
    assert upstream.headers.get("Authorization") == f"Bearer {UPSTREAM_KEY}"

    async with gateway.client() as client:
        listed_models = [m.id async for m in client.models.list()]
    assert {"from-config", "db-model"} <= set(listed_models)
    listed = await gql(gateway, LIST)
    assert [d["modelName"] for d in listed_nodes(listed)] == ["db-model"]
    assert UPSTREAM_KEY not in str(listed)

    async with gateway.runtime.sessions() as session:
        row = await session.get(ModelDeployment, created["id"])
    assert row is not None
    assert UPSTREAM_KEY not in str(row.model_dump()) and "api_key" not in row.params
    assert row.params["api_key_encrypted"]

    # Renaming and pointing at another upstream: the key must be given again.
    moved = {"model": "openai/other", "api_base": second_fake_openai.base_url}
    refused = await gql(
        gateway, UPDATE, {"id": created["id"], "input": {"modelName": "db-two", "params": moved}}
    )
    [error] = refused["data"]["updateModelDeployment"]["errors"]
    assert error["field"] == "params.api_key"
    moved["api_key"] = "sk-second"
    updated = await gql(
        gateway, UPDATE, {"id": created["id"], "input": {"modelName": "db-two", "params": moved}}
    )
    deployment = updated["data"]["updateModelDeployment"]["deployment"]
    assert deployment["modelName"] == "db-two" and deployment["hasApiKey"] is True
    async with gateway.client() as client:
        reply = await client.chat.completions.create(
            model="db-two", messages=[{"role": "user", "content": "Hi"}]
        )
    assert reply.choices[0].message.content == "From the second upstream"
    assert second_fake_openai.requests[-1].headers.get("Authorization") == "Bearer sk-second"
    await gone_within(gateway, "db-model")

    # Only model info changes: the stored key is kept.
    kept = await gql(
        gateway, UPDATE, {"id": created["id"], "input": {"modelInfo": {"mode": "chat"}}}
    )
    assert kept["data"]["updateModelDeployment"]["deployment"]["hasApiKey"] is True

    deleted = await gql(gateway, DELETE, {"id": created["id"]})
    assert deleted["data"]["deleteModelDeployment"] == {"deletedId": created["id"], "errors": []}
    await gone_within(gateway, "db-two")
    assert listed_nodes(await gql(gateway, LIST)) == []
    missing = await gql(gateway, DELETE, {"id": created["id"]})
    assert codes(missing) == ["NOT_FOUND"]

    async with gateway.runtime.sessions() as session:
        rows = (
            await session.exec(
                select(AuditLog)
                .where(AuditLog.target_type == "deployment")
                .order_by(col(AuditLog.created_at))
            )
        ).all()
    assert [r.action for r in rows] == [
        "deployment.create",
        "deployment.update",
        "deployment.update",
        "deployment.delete",
    ]
    assert all(r.actor_type is ActorType.MASTER_KEY and r.target_id == created["id"] for r in rows)
    audited = str([(r.before, r.after) for r in rows])
    assert UPSTREAM_KEY not in audited and "sk-second" not in audited
    assert "api_key_encrypted" not in audited
    assert rows[0].after is not None and rows[0].after["has_api_key"] is True


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"model": "no-provider"}, "params.model"),
        ({"model": "openai/x", "api_base": "ftp://files.example"}, "params.api_base"),
        ({"model": "openai/x", "api_base": "http://"}, "params.api_base"),
        ({"model": "openai/x", "timeout": -1}, "params.timeout"),
        ({"model": "openai/x", "api_key_encrypted": "x"}, "params.api_key_encrypted"),
        ({"api_base": "http://example.com"}, "params.model"),
        ("not an object", "params"),
    ],
)
async def test_bad_params_are_user_errors(gateway: RunningGateway, params: Any, field: str) -> None:
    body = await gql(gateway, CREATE, {"input": {"modelName": "bad", "params": params}})
    payload = body["data"]["createModelDeployment"]
    assert payload["deployment"] is None
    [error] = payload["errors"]
    assert error["field"] == field, error
    assert listed_nodes(await gql(gateway, LIST)) == []


async def test_bad_model_info_and_name_are_user_errors(gateway: RunningGateway) -> None:
    body = await gql(
        gateway,
        CREATE,
        {"input": {"modelName": "m", "params": {"model": "openai/x"}, "modelInfo": {"mode": 3}}},
    )
    [error] = body["data"]["createModelDeployment"]["errors"]
    assert error["field"] == "model_info.mode"
    body = await gql(gateway, CREATE, {"input": {"modelName": "", "params": {"model": "openai/x"}}})
    [error] = body["data"]["createModelDeployment"]["errors"]
    assert error["field"] == "modelName"


async def test_only_platform_admins_change_models(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    created = await gql(gateway, CREATE, {"input": deployment_input(fake_openai)})
    assert "errors" not in created
    deployment_id = created["data"]["createModelDeployment"]["deployment"]["id"]
    for role in (PlatformRole.PLATFORM_CO_ADMIN, PlatformRole.ORG_USER):
        _, someone = await signed_in(gateway, platform_role=role)
        for query, variables in (
            (CREATE, {"input": deployment_input(fake_openai, "other")}),
            (UPDATE, {"id": deployment_id, "input": {"modelName": "x"}}),
            (DELETE, {"id": deployment_id}),
        ):
            result = await gql(gateway, query, variables, headers=someone)
            assert codes(result) == ["FORBIDDEN"]
        listed = await gql(gateway, LIST, headers=someone)
        assert "errors" not in listed
        assert [d["modelName"] for d in listed_nodes(listed)] == ["db-model"]
        assert listed_nodes(listed)[0]["hasApiKey"] is True
    anonymous = await gql(gateway, LIST, token=None)
    assert codes(anonymous) == ["UNAUTHENTICATED"]


async def _served_by_second_instance(fake_openai: FakeOpenAI) -> None:
    async with (
        fresh_database() as url,
        running_gateway(config_for(fake_openai), env={"DATABASE_URL": url}) as first,
        running_gateway(config_for(fake_openai), env={"DATABASE_URL": url}) as second,
    ):
        body = await gql(first, CREATE, {"input": deployment_input(fake_openai, "shared")})
        assert body["data"]["createModelDeployment"]["errors"] == []
        assert await served_within(second, "shared", 1.0) < 1.0
        deployment_id = body["data"]["createModelDeployment"]["deployment"]["id"]
        await gql(first, DELETE, {"id": deployment_id})
        await gone_within(second, "shared", 1.0)


@pytest.mark.skipif(
    not os.environ.get("DELTALLM_TEST_REDIS_URL"),
    reason="needs Redis: set DELTALLM_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)",
)
async def test_second_instance_reloads_over_redis(fake_openai: FakeOpenAI) -> None:
    await _served_by_second_instance(fake_openai)


@pytest.mark.skipif(
    bool(os.environ.get("DELTALLM_TEST_REDIS_URL")),
    reason="the database marker is the fallback without Redis; Redis is configured",
)
async def test_second_instance_reloads_through_the_database_marker(
    fake_openai: FakeOpenAI,
) -> None:
    await _served_by_second_instance(fake_openai)


async def test_deployments_are_listed_in_pages_and_by_model_name(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    names = ["alpha", "beta", "alpha"]
    ids = []
    for name in names:
        body = await gql(gateway, CREATE, {"input": deployment_input(fake_openai, name)})
        ids.append(body["data"]["createModelDeployment"]["deployment"]["id"])
    page = """query($after: String, $name: String) {
      modelDeployments(first: 2, after: $after, modelName: $name) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id modelName } } } }"""
    first = (await gql(gateway, page))["data"]["modelDeployments"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    rest = (await gql(gateway, page, {"after": after}))["data"]["modelDeployments"]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["pageInfo"]["endCursor"]}
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == ids
    alphas = (await gql(gateway, page, {"name": "alpha"}))["data"]["modelDeployments"]
    assert alphas["totalCount"] == 2
    assert [e["node"]["id"] for e in alphas["edges"]] == [ids[0], ids[2]]
    bad = await gql(gateway, page, {"after": "not-a-cursor"})
    assert codes(bad) == ["BAD_USER_INPUT"]
