"""Fetching caller-supplied URLs, only when an administrator allowed it, and safely.

Off by default. When on: http(s) only, the host must be on the allow-list, every address
the name resolves to must be public (no loopback, private, link-local, multicast or
reserved ranges; checked inside the resolver, so DNS rebinding cannot slip past), no
redirects, and the answer is bounded in size and time.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from app.config_sections import UrlFetchSettings
from app.errors import BadRequestError

__all__ = ["UrlFetcher", "is_public_address"]

AddressPolicy = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT)
    )


_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class _CheckingResolver(AbstractResolver):
    """Resolves names and refuses any answer that is not a public address."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        results: list[ResolveResult] = []
        for fam, _, proto, _, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0])
            if not self._policy(address):
                raise BadRequestError(f"refusing to fetch from non-public address {address}")
            results.append(
                {
                    "hostname": host,
                    "host": str(address),
                    "port": int(sockaddr[1]),
                    "family": fam,
                    "proto": proto,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        return results

    async def close(self) -> None:
        return None


def _host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in allowed:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
        if host == pattern:
            return True
    return False


class UrlFetcher:
    """Fetches images that callers reference by URL, within the admin's rules."""

    def __init__(
        self, settings: UrlFetchSettings, *, address_policy: AddressPolicy = is_public_address
    ) -> None:
        self.settings = settings
        self._policy = address_policy

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def check(self, url: str, param: str | None = None) -> None:
        """Raise BadRequestError unless ``url`` may be fetched at all."""
        if not self.settings.enabled:
            raise BadRequestError(
                "this gateway does not fetch URLs; send the content inline (data: URL)",
                param=param,
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequestError("only http(s) URLs can be fetched", param=param)
        if parts.username or parts.password:
            raise BadRequestError("URLs with credentials are not fetched", param=param)
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and not self._policy(literal):
            raise BadRequestError(
                f"refusing to fetch from non-public address {literal}", param=param
            )
        if not _host_allowed(parts.hostname, self.settings.allowed_hosts):
            raise BadRequestError(f"{parts.hostname} is not on the URL allow-list", param=param)

    async def fetch(self, url: str, param: str | None = None) -> tuple[str, bytes]:
        """(content type, body) of ``url``, or BadRequestError naming the reason."""
        self.check(url, param)
        connector = aiohttp.TCPConnector(resolver=_CheckingResolver(self._policy), limit=4)
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout)
        try:
            async with (
                aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
                session.get(url, allow_redirects=False) as response,
            ):
                if response.status != 200:
                    raise BadRequestError(f"fetching {url} answered {response.status}", param=param)
                body = await self._read_bounded(response, param)
                return response.headers.get("Content-Type", "").split(";")[0].strip(), body
        except BadRequestError as exc:
            raise BadRequestError(exc.message, param=param) from None
        except TimeoutError:
            raise BadRequestError(f"fetching {url} took too long", param=param) from None
        except aiohttp.ClientError as exc:
            raise BadRequestError(f"cannot fetch {url}: {exc}", param=param) from None

    async def _read_bounded(self, response: aiohttp.ClientResponse, param: str | None) -> bytes:
        limit = self.settings.max_bytes
        declared = response.content_length
        if declared is not None and declared > limit:
            raise BadRequestError(f"the URL's content exceeds {limit} bytes", param=param)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                raise BadRequestError(f"the URL's content exceeds {limit} bytes", param=param)
            chunks.append(chunk)
        return b"".join(chunks)

    async def as_data_url(self, url: str, param: str | None = None) -> str:
        media_type, body = await self.fetch(url, param)
        return f"data:{media_type};base64,{base64.b64encode(body).decode()}"
