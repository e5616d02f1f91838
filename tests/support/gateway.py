"""Run the real gateway on loopback inside the test's event loop.

``running_gateway(config)`` writes the config to a file, builds settings the way
``deltallm serve`` does, and serves the app with uvicorn on a free port. The database is
fresh per gateway (SQLite, or PostgreSQL when ``DELTALLM_TEST_DATABASE_URL`` is set) and
Redis is used when ``DELTALLM_TEST_REDIS_URL`` is set.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import uvicorn
import yaml
from litestar import Litestar

from app.main import create_app
from app.runtime import Runtime
from app.settings import load_settings
from tests.support.db import fresh_database

__all__ = ["MASTER_KEY", "RunningGateway", "running_gateway", "serve_app"]

MASTER_KEY = "sk-master-test-key"


@dataclass
class RunningGateway:
    app: Litestar
    root: str
    master_key: str

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def client(self, api_key: str | None = None) -> openai.AsyncOpenAI:
        """An OpenAI SDK client for this gateway (use it as an async context manager)."""
        return openai.AsyncOpenAI(
            base_url=self.base_url, api_key=api_key or self.master_key, max_retries=0
        )

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


@asynccontextmanager
async def serve_app(app: Litestar) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1:<free port>; yields the root URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # the app decides whose X-Forwarded-For it believes
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the gateway did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def _namespaced(config: Mapping[str, Any], database_url: str) -> dict[str, Any]:
    """Instances sharing a database share Redis state; other tests' gateways do not.
    Admins may point deployments at loopback, where the tests' fake upstreams listen."""
    general = dict(config.get("general_settings") or {})
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    general.setdefault("redis_namespace", f"test-{digest}")
    general.setdefault("allow_private_upstreams", True)
    return {**config, "general_settings": general}


@asynccontextmanager
async def running_gateway(
    config: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> AsyncIterator[RunningGateway]:
    with tempfile.TemporaryDirectory(prefix="deltallm-test-") as tmp:
        async with fresh_database() as database_url:
            values = {
                "DELTALLM_DATA_DIR": str(Path(tmp) / "data"),
                "DELTALLM_MASTER_KEY": MASTER_KEY,
                "DELTALLM_SALT_KEY": "test-salt",
                "DATABASE_URL": database_url,
                "DELTALLM_RUN_MIGRATIONS": "0",
            }
            redis_url = os.environ.get("DELTALLM_TEST_REDIS_URL")
            if redis_url:
                values["REDIS_URL"] = redis_url
            values.update(env or {})
            path = Path(tmp) / "config.yaml"
            path.write_text(yaml.safe_dump(_namespaced(config, values["DATABASE_URL"])))
            settings = load_settings(path, env=values)
            app = create_app(settings)
            async with serve_app(app) as root:
                yield RunningGateway(app, root, MASTER_KEY)
