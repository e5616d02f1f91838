"""Caller-supplied URLs: refused unless allowed, never to private ranges, bounded."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from app.config import DeploymentParams
from app.config_sections import UrlFetchSettings
from app.errors import BadRequestError
from app.providers.anthropic import AnthropicProvider
from app.providers.base import Operation, ProviderCall
from app.providers.transport import Transport
from app.security.url_fetch import UrlFetcher, is_public_address
from tests.support.fake_anthropic import FakeAnthropic

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def loopback_ok(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Test policy: the real rules, except that this machine's loopback is reachable."""
    return address.is_loopback or is_public_address(address)


@pytest.fixture
async def image_server() -> AsyncIterator[str]:
    async def image(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000, content_type="image/png")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(body=PNG, content_type="image/png")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data")

    app = web.Application()
    app.router.add_get("/cat.png", image)
    app.router.add_get("/big.png", big)
    app.router.add_get("/slow.png", slow)
    app.router.add_get("/redirect", redirect)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def fetcher(**settings: object) -> UrlFetcher:
    values = {"enabled": True, "allowed_hosts": ["127.0.0.1", "*.example.com"], **settings}
    return UrlFetcher(UrlFetchSettings.model_validate(values), address_policy=loopback_ok)


def test_disabled_by_default() -> None:
    with pytest.raises(BadRequestError, match="does not fetch URLs"):
        UrlFetcher(UrlFetchSettings()).check("https://images.example.com/a.png", "p")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://files.example.com/a.png", "only http"),
        ("https://user:pw@cdn.example.com/a.png", "credentials"),
        ("http://127.0.0.1/a.png", "non-public"),
        ("http://10.1.2.3/a.png", "non-public"),
        ("http://169.254.169.254/latest/meta-data", "non-public"),
        ("http://[::1]/a.png", "non-public"),
        ("http://100.64.0.1/a.png", "non-public"),
        ("https://evil.test/a.png", "allow-list"),
        ("https://example.com.evil.test/a.png", "allow-list"),
    ],
)
def test_refused_urls(url: str, reason: str) -> None:
    strict = UrlFetcher(
        UrlFetchSettings(
            enabled=True,
            allowed_hosts=[
                "*.example.com",
                "127.0.0.1",
                "10.1.2.3",
                "169.254.169.254",
                "::1",
                "100.64.0.1",
            ],
        )
    )
    with pytest.raises(BadRequestError, match=reason):
        strict.check(url, "image")


def test_wildcard_allow_list() -> None:
    fetcher().check("https://cdn.images.example.com/a.png")


async def test_names_resolving_to_private_addresses_are_refused() -> None:
    strict = UrlFetcher(UrlFetchSettings(enabled=True, allowed_hosts=["localhost"]))
    with pytest.raises(BadRequestError, match="non-public address") as caught:
        await strict.fetch("http://localhost:9/a.png", "image")
    assert caught.value.param == "image"


async def test_fetch_and_limits(image_server: str) -> None:
    media_type, body = await fetcher().fetch(f"{image_server}/cat.png")
    assert (media_type, body) == ("image/png", PNG)
    with pytest.raises(BadRequestError, match="exceeds 1000 bytes"):
        await fetcher(max_bytes=1000).fetch(f"{image_server}/big.png")
    with pytest.raises(BadRequestError, match="too long"):
        await fetcher(timeout=0.3).fetch(f"{image_server}/slow.png")
    with pytest.raises(BadRequestError, match="answered 302"):
        await fetcher().fetch(f"{image_server}/redirect")


async def test_anthropic_gets_remote_images_inlined(image_server: str) -> None:
    fake = await FakeAnthropic().start()
    transport = Transport()
    try:
        params = DeploymentParams(
            model="anthropic/claude-3-5-haiku-latest", api_base=fake.root, api_key="sk-ant"
        )
        provider = AnthropicProvider(params, transport, fetcher())
        body = {
            "model": "claude-3-5-haiku-latest",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image_url", "image_url": {"url": f"{image_server}/cat.png"}},
                    ],
                }
            ],
        }
        await provider.call(ProviderCall(Operation.CHAT, body), 10)
        block = fake.requests[-1].body["messages"][0]["content"][1]
        assert block["source"] == {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(PNG).decode(),
        }
        refusing = AnthropicProvider(params, transport, UrlFetcher(UrlFetchSettings()))
        with pytest.raises(BadRequestError) as caught:
            await refusing.call(ProviderCall(Operation.CHAT, body), 10)
        assert caught.value.param == "messages[0].content[1].image_url.url"
        assert len(fake.requests) == 1
    finally:
        await transport.aclose()
        await fake.stop()
