"""Response-cache test helpers: gateway configs per backend, an S3 stand-in (moto's server
on loopback), and a clock the cache reads."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.fake_openai import FakeOpenAI
from tests.support.redis_server import RedisServer

__all__ = ["BACKENDS", "FakeS3", "ManualClock", "cache_config", "cache_redis", "fake_s3"]

BACKENDS = ("local", "redis", "s3")
PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}


@dataclass
class FakeS3:
    endpoint: str
    bucket: str

    def params(self) -> dict[str, Any]:
        return {
            "s3_bucket_name": self.bucket,
            "s3_region_name": "us-east-1",
            "s3_endpoint_url": self.endpoint,
            "s3_aws_access_key_id": "testing",
            "s3_aws_secret_access_key": "testing",
        }

    def keys(self) -> list[str]:
        client = _client(self.endpoint)
        listed = client.list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Contents", [])]


def _client(endpoint: str) -> Any:
    import botocore.session

    return botocore.session.get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@contextmanager
def cache_redis(workdir: Path) -> Iterator[str]:
    """The test Redis (``DELTALLM_TEST_REDIS_URL``), else a private redis-server."""
    url = os.environ.get("DELTALLM_TEST_REDIS_URL")
    if url:
        yield url
        return
    server = RedisServer(workdir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def fake_s3() -> Iterator[FakeS3]:
    """moto's S3 in server mode on a free loopback port, with one empty bucket."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        bucket = f"cache-{uuid.uuid4().hex[:12]}"
        _client(endpoint).create_bucket(Bucket=bucket)
        yield FakeS3(endpoint, bucket)
    finally:
        server.stop()


class ManualClock:
    """A wall clock that moves only when the test says so."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def cache_config(
    fake: FakeOpenAI,
    backend: str = "local",
    s3: FakeS3 | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Chat, completion and embedding groups on ``fake`` with LiteLLM's cache settings."""
    cache_params: dict[str, Any] = {
        "type": backend,
        "ttl": 60,
        "namespace": f"t{uuid.uuid4().hex[:12]}",
        **params,
    }
    if backend == "redis":
        assert "url" in cache_params, "give the Redis: url=... (see cache_redis)"
    if s3 is not None:
        cache_params.update(s3.params())
    return {
        "model_list": [
            {
                "model_name": "gpt-c",
                "deltallm_params": {"model": "openai/gpt-c", "api_base": fake.base_url, **PRICE},
            },
            {
                "model_name": "emb",
                "deltallm_params": {"model": "openai/emb", "api_base": fake.base_url},
                "model_info": {"mode": "embedding"},
            },
        ],
        "litellm_settings": {"cache": True, "cache_params": cache_params},
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
