"""modelGroups over POST /graphql: every group the router serves (config.yaml's and the
database's) and every alias, by name, for any signed-in caller."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.users.models import OrgRole
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, signed_in

GROUPS = "{ modelGroups { name aliasOf } }"
CREATE = """mutation($input: CreateModelDeploymentInput!) { createModelDeployment(input: $input)
  { deployment { id } errors { code } } }"""


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    params = {"model": "openai/cfg", "api_base": fake_openai.base_url}
    config = {
        "model_list": [
            {"model_name": "from-config", "deltallm_params": params},
            {"model_name": "openai/*", "deltallm_params": {**params, "model": "openai/*"}},
        ],
        "router_settings": {"model_group_alias": {"friendly": "from-config"}},
    }
    async with running_gateway(config) as gw:
        yield gw


async def groups(gw: RunningGateway, **kwargs: Any) -> list[dict[str, Any]]:
    body = await gql(gw, GROUPS, **kwargs)
    assert "errors" not in body, body
    listed: list[dict[str, Any]] = body["data"]["modelGroups"]
    return listed


async def test_config_and_database_groups_and_aliases(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    # Wildcard patterns are not model names.
    assert await groups(gateway) == [
        {"name": "friendly", "aliasOf": "from-config"},
        {"name": "from-config", "aliasOf": None},
    ]
    params = {"model": "openai/db", "api_base": fake_openai.base_url}
    created = await gql(gateway, CREATE, {"input": {"modelName": "db-model", "params": params}})
    assert created["data"]["createModelDeployment"]["errors"] == []
    started = time.monotonic()
    while "db-model" not in [g["name"] for g in await groups(gateway)]:
        assert time.monotonic() - started < 2, "the new deployment's group never appeared"
        await asyncio.sleep(0.05)
    assert [g["name"] for g in await groups(gateway)] == ["db-model", "friendly", "from-config"]


async def test_every_signed_in_caller_reads_them_and_no_one_else(
    gateway: RunningGateway,
) -> None:
    _, member = await signed_in(gateway, orgs={await new_org(gateway): OrgRole.ORG_MEMBER})
    _, nobody = await signed_in(gateway)
    for headers in (member, nobody):
        assert len(await groups(gateway, headers=headers)) == 2
    anonymous = await gql(gateway, GROUPS, token=None)
    assert codes(anonymous) == ["UNAUTHENTICATED"] and anonymous["data"] is None
