"""The response cache administered through POST /graphql: turned on at run time (every
instance applies it), its new fields validated, its credentials never shown, and an S3
endpoint an admin gives checked like every outbound URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.cache import cache_config
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql

pytestmark = pytest.mark.timeout(60)
CACHE = """mutation($input: CacheSettingsInput!) { updateCacheSettings(input: $input)
  { settings { enabled type mode scope chargeHits s3BucketName s3EndpointUrl s3HasCredentials }
    errors { field message code } } }"""
READ = "{ gatewaySettings { cache { type s3BucketName s3HasCredentials redisDedicated } } }"


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = cache_config(fake_openai)
    config["litellm_settings"] = {}
    async with running_gateway(config) as gw:
        yield gw


async def ask(gw: RunningGateway) -> Any:
    async with gw.client() as client:
        return await client.chat.completions.with_raw_response.create(
            model="gpt-c", messages=[{"role": "user", "content": "Hi"}]
        )


async def test_the_cache_is_turned_on_and_off_at_run_time(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    assert gateway.runtime.gateway.cache is None
    assert "x-deltallm-cache" not in (await ask(gateway)).headers
    body = await gql(
        gateway, CACHE, {"input": {"enabled": True, "scope": "KEY", "mode": "DEFAULT_ON"}}
    )
    assert body["data"]["updateCacheSettings"]["errors"] == []
    assert body["data"]["updateCacheSettings"]["settings"]["scope"] == "KEY"
    assert (await ask(gateway)).headers["x-deltallm-cache"] == "miss"
    assert (await ask(gateway)).headers["x-deltallm-cache"] == "hit"
    await gql(gateway, CACHE, {"input": {"enabled": False}})
    assert gateway.runtime.gateway.cache is None
    assert "x-deltallm-cache" not in (await ask(gateway)).headers
    assert len(fake_openai.requests) == 3


async def test_s3_settings_are_validated_and_credentials_never_shown(
    gateway: RunningGateway,
) -> None:
    body = await gql(gateway, CACHE, {"input": {"enabled": True, "type": "S3"}})
    errors = body["data"]["updateCacheSettings"]["errors"]
    assert errors and "s3_bucket_name" in errors[0]["message"]
    metadata = "http://169.254.169.254/"  # where cloud metadata services answer
    body = await gql(gateway, CACHE, {"input": {"s3EndpointUrl": metadata}})
    assert body["data"]["updateCacheSettings"]["errors"][0]["field"] == "s3EndpointUrl"
    body = await gql(gateway, CACHE, {"input": {"s3BucketName": "Not A Bucket"}})
    assert body["data"]["updateCacheSettings"]["errors"][0]["field"] == "s3BucketName"
    body = await gql(gateway, CACHE, {"input": {"s3BucketName": "answers", "chargeHits": True}})
    settings = body["data"]["updateCacheSettings"]["settings"]
    assert settings["s3BucketName"] == "answers" and settings["chargeHits"] is True
    assert settings["s3HasCredentials"] is False


async def test_config_credentials_are_only_said_to_exist(fake_openai: FakeOpenAI) -> None:
    config = cache_config(fake_openai)
    config["litellm_settings"]["cache_params"].update(
        {
            "s3_bucket_name": "answers",
            "s3_aws_access_key_id": "AKIAEXAMPLE",
            "s3_aws_secret_access_key": "very-secret-value",
            "password": "redis-secret",
            "host": "127.0.0.1",
        }
    )
    async with running_gateway(config) as gateway:
        body = await gql(gateway, READ)
        await gql(gateway, CACHE, {"input": {"ttl": 30}})
        audit = await gql(gateway, "{ auditLog(first: 5) { edges { node { after } } } }")
    assert body["data"]["gatewaySettings"]["cache"] == {
        "type": "LOCAL",
        "s3BucketName": "answers",
        "s3HasCredentials": True,
        "redisDedicated": True,
    }
    text = str(body) + str(audit)
    assert "very-secret-value" not in text and "redis-secret" not in text
    assert "AKIAEXAMPLE" not in text
