"""The watchdog names the request that blocks the event loop, once per stall."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, get

from app.proxy.middleware import WatchedRequests
from app.watchdog import LoopWatchdog
from tests.support.gateway import serve_app


@get("/block")
async def block(request: Request[Any, Any, Any]) -> str:
    request.state.request_id = "req-blocker-1"
    time.sleep(1.0)  # noqa: ASYNC251 - the synchronous work the watchdog must catch
    return "done"


@get("/fine")
async def fine() -> str:
    return "fine"


async def test_a_stall_is_logged_once_with_the_request_that_held_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watchdog = LoopWatchdog(threshold=0.2)
    app = Litestar(
        route_handlers=[block, fine],
        middleware=[WatchedRequests(watchdog)],
        on_startup=[watchdog.start],
        on_shutdown=[watchdog.stop],
        logging_config=None,  # keep pytest's log capture
    )
    caplog.set_level(logging.WARNING, logger="deltallm.watchdog")
    async with serve_app(app) as root, httpx.AsyncClient(base_url=root) as http:
        assert (await http.get("/block")).text == "done"
        assert (await http.get("/fine")).text == "fine"  # the loop has beaten since
    messages = [r.getMessage() for r in caplog.records]
    # A busy machine may pause the loop elsewhere too; the blocking request's stall is
    # reported exactly once, with the request and the line that held it.
    [blocked] = [m for m in messages if "req-blocker-1" in m]
    assert "request req-blocker-1 (GET /block)" in blocked
    assert "test_loop_watchdog.py:" in blocked and " in block" in blocked
    assert any(m.startswith("event loop free again after") for m in messages)
    stalls = watchdog.stalls
    assert stalls.count >= 1
    assert 0.2 <= stalls.longest_seconds <= stalls.total_seconds
