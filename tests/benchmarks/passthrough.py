"""The bench's ceiling arm: a bare aiohttp pass-through with no features at all.

``python -m tests.benchmarks.passthrough --upstream URL [--port N]`` prints ``PORT <n>`` once
it listens. Every ``POST /v1/...`` is forwarded to the same path under ``URL`` over one
pooled aiohttp client session and the answer relayed as it arrives (streams chunk by
chunk). No auth, no limits, no logging: what any Python gateway on aiohttp pays at least.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal

import aiohttp
import uvloop
from aiohttp import web

__all__ = ["build_app", "main"]

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
_CLIENT: web.AppKey[aiohttp.ClientSession] = web.AppKey("client", aiohttp.ClientSession)


def build_app(upstream: str) -> web.Application:
    """The pass-through application forwarding to ``upstream`` (``http://host:port``)."""
    base = upstream.rstrip("/")

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        client = request.app[_CLIENT]
        async with client.post(base + request.path, data=body, headers=headers) as upstream_r:
            kept = {k: v for k, v in upstream_r.headers.items() if k.lower() not in _HOP}
            if upstream_r.content_type == "text/event-stream":
                response = web.StreamResponse(status=upstream_r.status, headers=kept)
                await response.prepare(request)
                async for chunk in upstream_r.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
                return response
            return web.Response(
                status=upstream_r.status, body=await upstream_r.read(), headers=kept
            )

    async def client_context(app: web.Application) -> object:
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=120)
        app[_CLIENT] = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        yield
        await app[_CLIENT].close()

    app = web.Application()
    app.cleanup_ctx.append(client_context)
    app.router.add_post("/v1/{tail:.*}", forward)
    return app


async def _serve(upstream: str, port: int) -> None:
    runner = web.AppRunner(build_app(upstream), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()
    while not stop.is_set() and os.getppid() == parent:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="http://host:port of the upstream")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    uvloop.run(_serve(args.upstream, args.port))


if __name__ == "__main__":
    main()
