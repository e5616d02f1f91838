"""Loopback stand-ins for guardrail services: Lakera Guard v2 and a Presidio analyzer."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

__all__ = ["FakeGuardServices"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


class FakeGuardServices:
    """``POST /v2/guard`` answers by ``lakera_state`` (``clean``, ``flagged``, ``timeout``
    or ``error``); ``POST /analyze`` reports e-mail addresses like Presidio's server."""

    def __init__(self) -> None:
        self.lakera_state = "clean"
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self.release = asyncio.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeGuardServices:
        app = web.Application()
        app.router.add_post("/v2/guard", self._guard)
        app.router.add_post("/analyze", self._analyze)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _guard(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.path, dict(request.headers), body))
        if self.lakera_state == "timeout":
            await self.release.wait()
        if self.lakera_state == "error":
            return web.json_response({"error": "boom"}, status=500)
        flagged = self.lakera_state == "flagged"
        breakdown = [{"detector_type": "prompt_attack", "detected": flagged}]
        return web.json_response({"flagged": flagged, "breakdown": breakdown})

    async def _analyze(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.path, dict(request.headers), body))
        found = [
            {"entity_type": "EMAIL_ADDRESS", "start": m.start(), "end": m.end(), "score": 1.0}
            for m in _EMAIL.finditer(body["text"])
        ]
        return web.json_response(found)
