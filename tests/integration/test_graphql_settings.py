"""Run-time settings over GraphQL: router, health checks, cache and guardrail policies."""

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
from app.deployments.models import GatewaySetting
from app.users.models import PlatformRole
from tests.support.db import fresh_database
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in

GUARD_KEY = "lk-guardrail-very-secret-9876"
CONFIG_GUARD_KEY = "lk-config-secret-5555"

SETTINGS = """{ gatewaySettings {
  router { routingStrategy numRetries timeout allowedFails cooldownTime overridden
           fallbacks { model fallbacks } modelGroupAliases { alias model } }
  healthChecks { enabled interval timeout overridden }
  cache { enabled type ttl namespace maxEntryBytes callTypes overridden }
  guardrails { name guardrail mode defaultOn piiEntities { entity action } apiBase
               hasApiKey threshold source }
  general { databaseKind redisEnabled oidcEnabled masterKeyHint } } }"""
ROUTER = """mutation($input: RouterSettingsInput!) { updateRouterSettings(input: $input) {
  settings { routingStrategy numRetries overridden modelGroupAliases { alias model }
             fallbacks { model fallbacks } }
  errors { field message code } } }"""
HEALTH = """mutation($input: HealthCheckSettingsInput!) { updateHealthCheckSettings(input: $input)
  { settings { enabled interval timeout overridden } errors { field code } } }"""
CACHE = """mutation($input: CacheSettingsInput!) { updateCacheSettings(input: $input)
  { settings { enabled type ttl namespace callTypes overridden }
    errors { field message code } } }"""
SET_GUARD = """mutation($input: GuardrailPolicyInput!) { setGuardrailPolicy(input: $input)
  { guardrail { name guardrail mode defaultOn piiEntities { entity action } apiBase hasApiKey
                source }
    errors { field message code } } }"""
DELETE_GUARD = """mutation($name: String!) { deleteGuardrailPolicy(name: $name)
  { deletedName errors { field code } } }"""


def config_for(upstream: FakeOpenAI) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "api_base": upstream.base_url},
                "model_info": {"mode": "chat"},
            },
            {
                "model_name": "gpt-c",
                "deltallm_params": {"model": "openai/gpt-c", "api_base": upstream.base_url},
            },
        ],
        "router_settings": {"num_retries": 0, "allowed_fails": 100},
        "guardrails": [
            {
                "guardrail_name": "from-file",
                "litellm_params": {
                    "guardrail": "lakera_v2",
                    "mode": "pre_call",
                    "api_key": CONFIG_GUARD_KEY,
                },
            }
        ],
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(config_for(fake_openai)) as gw:
        yield gw


async def chat(gw: RunningGateway, model: str) -> str | None:
    async with gw.client() as client:
        reply = await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hi"}]
        )
    return reply.choices[0].message.content


async def audit_rows(gw: RunningGateway, prefix: str) -> list[AuditLog]:
    async with gw.runtime.sessions() as session:
        query = select(AuditLog).where(col(AuditLog.action).startswith(prefix))
        return list((await session.exec(query.order_by(col(AuditLog.created_at)))).all())


async def test_defaults_come_from_config_and_hide_secrets(gateway: RunningGateway) -> None:
    body = await gql(gateway, SETTINGS)
    assert "errors" not in body, body
    settings = body["data"]["gatewaySettings"]
    assert settings["router"] == {
        "routingStrategy": "SIMPLE_SHUFFLE",
        "numRetries": 0,
        "timeout": 600.0,
        "allowedFails": 100,
        "cooldownTime": 30.0,
        "overridden": [],
        "fallbacks": [],
        "modelGroupAliases": [],
    }
    assert settings["healthChecks"] == {
        "enabled": False,
        "interval": 300.0,
        "timeout": 10.0,
        "overridden": False,
    }
    assert settings["cache"]["enabled"] is False
    assert settings["guardrails"] == [
        {
            "name": "from-file",
            "guardrail": "LAKERA",
            "mode": "PRE_CALL",
            "defaultOn": False,
            "piiEntities": [],
            "apiBase": None,
            "hasApiKey": True,
            "threshold": None,
            "source": "CONFIG",
        }
    ]
    general = settings["general"]
    assert general["databaseKind"] in ("sqlite", "postgresql")
    assert general["redisEnabled"] is bool(os.environ.get("DELTALLM_TEST_REDIS_URL"))
    assert general["masterKeyHint"] == f"…{gateway.master_key[-4:]}"
    assert CONFIG_GUARD_KEY not in str(body) and gateway.master_key not in str(body)


async def test_router_settings_take_effect_and_revert(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    with pytest.raises(openai.NotFoundError):
        await chat(gateway, "fast")
    body = await gql(
        gateway,
        ROUTER,
        {
            "input": {
                "modelGroupAliases": [{"alias": "fast", "model": "gpt-a"}],
                "numRetries": 1,
                "routingStrategy": "LEAST_BUSY",
                "fallbacks": [{"model": "gpt-a", "fallbacks": ["gpt-c"]}],
            }
        },
    )
    result = body["data"]["updateRouterSettings"]
    assert result["errors"] == []
    assert result["settings"] == {
        "routingStrategy": "LEAST_BUSY",
        "numRetries": 1,
        "overridden": ["routingStrategy", "numRetries", "fallbacks", "modelGroupAliases"],
        "modelGroupAliases": [{"alias": "fast", "model": "gpt-a"}],
        "fallbacks": [{"model": "gpt-a", "fallbacks": ["gpt-c"]}],
    }
    # Served at once by this instance: the alias resolves, a failure is retried once,
    # then falls back.
    assert await chat(gateway, "fast") == "Hello there!"
    assert fake_openai.requests[-1].body["model"] == "gpt-a"
    fake_openai.fail_next(500)
    assert await chat(gateway, "gpt-a") == "Hello there!"
    assert [r.body["model"] for r in fake_openai.requests[-2:]] == ["gpt-a", "gpt-a"]
    fake_openai.fail_next(500)
    fake_openai.fail_next(500)
    assert await chat(gateway, "gpt-a") == "Hello there!"
    assert [r.body["model"] for r in fake_openai.requests[-3:]] == ["gpt-a", "gpt-a", "gpt-c"]

    # null returns a field to config.yaml's value.
    body = await gql(
        gateway,
        ROUTER,
        {"input": {"modelGroupAliases": None, "fallbacks": None, "numRetries": None}},
    )
    result = body["data"]["updateRouterSettings"]
    assert result["settings"]["overridden"] == ["routingStrategy"]
    assert result["settings"]["fallbacks"] == []
    assert result["settings"]["numRetries"] == 0
    with pytest.raises(openai.NotFoundError):
        await chat(gateway, "fast")
    fake_openai.fail_next(500)
    with pytest.raises(openai.InternalServerError):
        await chat(gateway, "gpt-a")

    audits = await audit_rows(gateway, "settings.router")
    assert [a.action for a in audits] == ["settings.router.update"] * 2
    assert audits[0].actor_type is ActorType.MASTER_KEY
    assert audits[0].before == {}
    assert audits[0].after is not None
    assert audits[0].after["model_group_alias"] == {"fast": "gpt-a"}
    assert audits[1].before == audits[0].after
    assert audits[1].after == {"routing_strategy": "least-busy"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"numRetries": 11}, "numRetries"),
        ({"timeout": 0}, "timeout"),
        ({"allowedFails": 0}, "allowedFails"),
        ({"cooldownTime": -1}, "cooldownTime"),
    ],
)
async def test_bad_router_settings_are_user_errors(
    gateway: RunningGateway, changes: dict[str, Any], field: str
) -> None:
    body = await gql(gateway, ROUTER, {"input": changes})
    result = body["data"]["updateRouterSettings"]
    assert result["settings"] is None
    assert [e["field"] for e in result["errors"]] == [field]
    assert await audit_rows(gateway, "settings.") == []
    after = await gql(gateway, SETTINGS)
    assert after["data"]["gatewaySettings"]["router"]["overridden"] == []


async def test_unknown_strategy_is_refused_by_the_schema(gateway: RunningGateway) -> None:
    body = await gql(gateway, ROUTER, {"input": {"routingStrategy": "FASTEST"}})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "FASTEST" in body["errors"][0]["message"]


async def test_health_checks_start_and_stop_at_run_time(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    probes_before = len(fake_openai.requests)
    body = await gql(gateway, HEALTH, {"input": {"enabled": True, "interval": 5, "timeout": 3}})
    assert body["data"]["updateHealthCheckSettings"] == {
        "settings": {"enabled": True, "interval": 5.0, "timeout": 3.0, "overridden": True},
        "errors": [],
    }
    deadline = time.monotonic() + 3
    while len(fake_openai.requests) == probes_before:
        assert time.monotonic() < deadline, "no health probe reached the upstream"
        await asyncio.sleep(0.05)
    probe = fake_openai.requests[-1]
    assert probe.path == "/v1/chat/completions"
    assert probe.body["max_tokens"] == 1
    assert gateway.runtime.health.timeout == 3.0

    body = await gql(gateway, HEALTH, {"input": {"enabled": False}})
    assert body["data"]["updateHealthCheckSettings"]["settings"]["enabled"] is False
    await asyncio.sleep(0.1)
    count = len(fake_openai.requests)
    body = await gql(gateway, HEALTH, {"input": {"interval": 1}})
    assert body["data"]["updateHealthCheckSettings"]["errors"] == [
        {"field": "interval", "code": "invalid"}
    ]
    await asyncio.sleep(0.3)
    assert len(fake_openai.requests) == count


async def test_cache_settings_are_validated_and_stored(gateway: RunningGateway) -> None:
    body = await gql(
        gateway,
        CACHE,
        {
            "input": {
                "enabled": True,
                "type": "REDIS",
                "ttl": 120,
                "namespace": "team-a",
                "callTypes": ["chat_completions"],
            }
        },
    )
    assert body["data"]["updateCacheSettings"] == {
        "settings": {
            "enabled": True,
            "type": "REDIS",
            "ttl": 120,
            "namespace": "team-a",
            "callTypes": ["chat_completions"],
            "overridden": True,
        },
        "errors": [],
    }
    assert gateway.runtime.effective_settings.cache.ttl == 120
    for changes, field in (
        ({"ttl": 0}, "ttl"),
        ({"callTypes": ["images"]}, "callTypes"),
        ({"namespace": "bad space"}, "namespace"),
    ):
        body = await gql(gateway, CACHE, {"input": changes})
        result = body["data"]["updateCacheSettings"]
        assert result["settings"] is None
        assert [e["field"] for e in result["errors"]] == [field]
    assert gateway.runtime.effective_settings.cache.ttl == 120


async def test_guardrail_policies_keep_their_keys_secret(gateway: RunningGateway) -> None:
    policy = {
        "name": "pii",
        "guardrail": "PRESIDIO",
        "mode": "PRE_CALL",
        "defaultOn": True,
        "piiEntities": [
            {"entity": "EMAIL_ADDRESS", "action": "MASK"},
            {"entity": "CREDIT_CARD", "action": "BLOCK"},
        ],
    }
    body = await gql(gateway, SET_GUARD, {"input": policy})
    assert body["data"]["setGuardrailPolicy"] == {
        "guardrail": {
            "name": "pii",
            "guardrail": "PRESIDIO",
            "mode": "PRE_CALL",
            "defaultOn": True,
            "piiEntities": [
                {"entity": "CREDIT_CARD", "action": "BLOCK"},
                {"entity": "EMAIL_ADDRESS", "action": "MASK"},
            ],
            "apiBase": None,
            "hasApiKey": False,
            "source": "DATABASE",
        },
        "errors": [],
    }
    lakera = {
        "name": "injection",
        "guardrail": "LAKERA",
        "mode": "DURING_CALL",
        "apiBase": "https://guard.example.com/",
        "apiKey": GUARD_KEY,
    }
    body = await gql(gateway, SET_GUARD, {"input": lakera})
    created = body["data"]["setGuardrailPolicy"]["guardrail"]
    assert created["hasApiKey"] is True
    assert created["apiBase"] == "https://guard.example.com"
    # Replacing without apiKey keeps the stored key; a new apiBase needs the key again.
    body = await gql(gateway, SET_GUARD, {"input": {**lakera, "apiKey": None, "mode": "PRE_CALL"}})
    assert body["data"]["setGuardrailPolicy"]["guardrail"]["hasApiKey"] is False
    body = await gql(gateway, SET_GUARD, {"input": lakera})
    kept = {k: v for k, v in lakera.items() if k != "apiKey"}
    body = await gql(gateway, SET_GUARD, {"input": {**kept, "defaultOn": True}})
    assert body["data"]["setGuardrailPolicy"]["guardrail"]["hasApiKey"] is True
    moved = {**kept, "apiBase": "https://elsewhere.example.com"}
    body = await gql(gateway, SET_GUARD, {"input": moved})
    assert body["data"]["setGuardrailPolicy"]["errors"] == [
        {
            "field": "apiKey",
            "message": "give the API key again when api_base changes",
            "code": "api_key_required",
        }
    ]
    in_force = gateway.runtime.effective_settings.guardrail("injection")
    assert in_force is not None and in_force.api_key is not None
    assert in_force.api_key.get_secret_value() == GUARD_KEY

    listed = await gql(gateway, SETTINGS)
    names = [g["name"] for g in listed["data"]["gatewaySettings"]["guardrails"]]
    assert names == ["from-file", "injection", "pii"]
    async with gateway.runtime.sessions() as session:
        stored = (await session.exec(select(GatewaySetting.value))).all()
    audits = await audit_rows(gateway, "settings.guardrail")
    assert audits and all(a.after is None or "api_key_encrypted" not in a.after for a in audits)
    for text in (str(listed), str(stored), str([(a.before, a.after) for a in audits])):
        assert GUARD_KEY not in text

    body = await gql(gateway, DELETE_GUARD, {"name": "pii"})
    assert body["data"]["deleteGuardrailPolicy"] == {"deletedName": "pii", "errors": []}
    assert gateway.runtime.effective_settings.guardrail("pii") is None
    body = await gql(gateway, DELETE_GUARD, {"name": "pii"})
    assert codes(body) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": "from-file"}, "name", "defined_in_config"),
        ({"name": "has space"}, "name", "invalid"),
        ({"apiBase": "ftp://guard.example.com"}, "apiBase", "invalid"),
        ({"apiBase": "https://user:pw@guard.example.com"}, "apiBase", "invalid"),
        (
            {"piiEntities": [{"entity": "email", "action": "MASK"}]},
            "piiEntities",
            "invalid",
        ),
        ({"threshold": 1.5}, "threshold", "invalid"),
    ],
)
async def test_bad_guardrail_policies_are_user_errors(
    gateway: RunningGateway, changes: dict[str, Any], field: str, code: str
) -> None:
    policy = {"name": "guard", "guardrail": "LAKERA", **changes}
    body = await gql(gateway, SET_GUARD, {"input": policy})
    result = body["data"]["setGuardrailPolicy"]
    assert result["guardrail"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(field, code)]
    assert await audit_rows(gateway, "settings.") == []


async def test_config_guardrails_cannot_be_deleted(gateway: RunningGateway) -> None:
    body = await gql(gateway, DELETE_GUARD, {"name": "from-file"})
    assert body["data"]["deleteGuardrailPolicy"] == {
        "deletedName": None,
        "errors": [{"field": "name", "code": "defined_in_config"}],
    }


async def test_only_platform_admins_change_settings(gateway: RunningGateway) -> None:
    changes: list[tuple[str, dict[str, Any]]] = [
        (ROUTER, {"input": {"numRetries": 1}}),
        (HEALTH, {"input": {"enabled": True}}),
        (CACHE, {"input": {"enabled": True}}),
        (SET_GUARD, {"input": {"name": "g", "guardrail": "PRESIDIO"}}),
        (DELETE_GUARD, {"name": "g"}),
    ]
    for role in (PlatformRole.PLATFORM_CO_ADMIN, PlatformRole.ORG_USER):
        _, someone = await signed_in(gateway, platform_role=role)
        for query, variables in changes:
            result = await gql(gateway, query, variables, headers=someone)
            assert codes(result) == ["FORBIDDEN"], (role, query)
        read = await gql(gateway, SETTINGS, headers=someone)
        assert "errors" not in read
        settings = read["data"]["gatewaySettings"]
        assert settings["general"]["masterKeyHint"] is None
        assert settings["guardrails"][0]["hasApiKey"] is True
    assert await audit_rows(gateway, "settings.") == []
    anonymous = await gql(gateway, SETTINGS, token=None)
    assert codes(anonymous) == ["UNAUTHENTICATED"]


async def _alias_reaches_second_instance(fake_openai: FakeOpenAI) -> None:
    async with (
        fresh_database() as url,
        running_gateway(config_for(fake_openai), env={"DATABASE_URL": url}) as first,
        running_gateway(config_for(fake_openai), env={"DATABASE_URL": url}) as second,
    ):
        alias = {"input": {"modelGroupAliases": [{"alias": "shared", "model": "gpt-a"}]}}
        body = await gql(first, ROUTER, alias)
        assert body["data"]["updateRouterSettings"]["errors"] == []
        started = time.monotonic()
        while True:
            try:
                assert await chat(second, "shared") == "Hello there!"
                break
            except openai.NotFoundError:
                assert time.monotonic() - started < 1.0, "the alias did not reach the instance"
                await asyncio.sleep(0.05)
        await gql(first, HEALTH, {"input": {"timeout": 7}})
        started = time.monotonic()
        while second.runtime.effective_settings.health_checks.timeout != 7:
            assert time.monotonic() - started < 1.0, "health settings did not reach it"
            await asyncio.sleep(0.05)


@pytest.mark.skipif(
    not os.environ.get("DELTALLM_TEST_REDIS_URL"),
    reason="needs Redis: set DELTALLM_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)",
)
async def test_second_instance_applies_settings_over_redis(fake_openai: FakeOpenAI) -> None:
    await _alias_reaches_second_instance(fake_openai)


@pytest.mark.skipif(
    bool(os.environ.get("DELTALLM_TEST_REDIS_URL")),
    reason="the database marker is the fallback without Redis; Redis is configured",
)
async def test_second_instance_applies_settings_through_the_database_marker(
    fake_openai: FakeOpenAI,
) -> None:
    await _alias_reaches_second_instance(fake_openai)
