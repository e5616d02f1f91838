"""Building the cache from its settings, and rebuilding it when an admin changes them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
import redis.asyncio as aioredis

from app.cache.backends.base import CacheBackend
from app.cache.backends.memory import MemoryBackend
from app.cache.service import ResponseCache
from app.gateway_settings.sections import CacheSettings, CacheType

if TYPE_CHECKING:
    from app.observability.metrics import Metrics

__all__ = ["CacheDeps", "reconfigure"]

log = logging.getLogger("deltallm.cache")
_BACKEND_FIELDS = (
    "type",
    "namespace",
    "max_size_bytes",
    "redis_url",
    "s3_bucket_name",
    "s3_region_name",
    "s3_endpoint_url",
    "s3_aws_access_key_id",
    "s3_aws_secret_access_key",
)


@dataclass
class CacheDeps:
    """What backends are built from: the gateway's Redis, HTTP client and AWS defaults."""

    redis: aioredis.Redis | None
    redis_namespace: str
    http: httpx.AsyncClient
    aws_env: Mapping[str, str]
    metrics: Metrics | None = None
    _closing: set[asyncio.Task[None]] = field(default_factory=set)


def _backend(settings: CacheSettings, deps: CacheDeps) -> CacheBackend:
    root = settings.namespace or "deltallm"
    if settings.type is CacheType.REDIS:
        from app.cache.backends.redis import RedisBackend

        if settings.redis_url is not None:
            pool = aioredis.BlockingConnectionPool.from_url(
                settings.redis_url.get_secret_value(),
                max_connections=256,
                timeout=5,
                socket_connect_timeout=1,
                socket_timeout=2,
            )
            return RedisBackend(
                aioredis.Redis(connection_pool=pool), _redis_prefix(root, deps), owns_client=True
            )
        if deps.redis is not None:
            return RedisBackend(deps.redis, _redis_prefix(root, deps), owns_client=False)
        log.warning(
            "the redis response cache has no Redis (REDIS_URL or cache_params host): using memory"
        )
    if settings.type is CacheType.S3:
        backend = _s3(settings, deps, root)
        if backend is not None:
            return backend
    return MemoryBackend(settings.max_size_bytes)


def _redis_prefix(root: str, deps: CacheDeps) -> str:
    return f"{deps.redis_namespace}:cache:{root}:"


def _s3(settings: CacheSettings, deps: CacheDeps, root: str) -> CacheBackend | None:
    from app.cache.backends.s3 import S3Backend

    env = deps.aws_env
    key_id = settings.s3_aws_access_key_id
    secret = settings.s3_aws_secret_access_key
    access = key_id.get_secret_value() if key_id else env.get("AWS_ACCESS_KEY_ID")
    secret_key = secret.get_secret_value() if secret else env.get("AWS_SECRET_ACCESS_KEY")
    region = settings.s3_region_name or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not settings.s3_bucket_name or not access or not secret_key:
        log.warning("the s3 response cache needs a bucket and credentials: using memory")
        return None
    return S3Backend(
        deps.http,
        bucket=settings.s3_bucket_name,
        region=region or "us-east-1",
        endpoint=settings.s3_endpoint_url,
        access_key_id=access,
        secret_access_key=secret_key,
        session_token=None if key_id else env.get("AWS_SESSION_TOKEN"),
        prefix=f"{root}/",
    )


def _same_backend(a: CacheSettings, b: CacheSettings) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in _BACKEND_FIELDS)


def reconfigure(
    current: ResponseCache | None, settings: CacheSettings, deps: CacheDeps
) -> ResponseCache | None:
    """The cache for ``settings``: None when disabled, ``current`` updated when its backend
    stays, else a new one (the old backend is closed in the background)."""
    if not settings.enabled:
        if current is not None:
            _close_later(current.backend, deps)
        return None
    if current is not None and _same_backend(current.settings, settings):
        current.settings = settings
        return current
    backend = _backend(settings, deps)
    if current is None:
        return ResponseCache(settings, backend, deps.metrics)
    _close_later(current.backend, deps)
    current.settings, current.backend = settings, backend
    return current


def _close_later(backend: CacheBackend, deps: CacheDeps) -> None:
    task = asyncio.get_running_loop().create_task(backend.aclose())
    deps._closing.add(task)
    task.add_done_callback(deps._closing.discard)
