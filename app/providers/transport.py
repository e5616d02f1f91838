"""The upstream HTTP seam: one pooled connection set per deployment.

Adapters are written against :class:`Transport`; the implementation uses aiohttp because
it sustains several times httpx's throughput under concurrency (see README, Performance).
Network failures become retryable :class:`~app.errors.UpstreamError` subclasses here,
so no adapter handles aiohttp exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.typedefs import StrOrURL

from app.errors import UpstreamTimeoutError, UpstreamUnavailableError

__all__ = ["Transport", "UpstreamResponse", "UpstreamStreamResponse", "form_data"]


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class UpstreamStreamResponse:
    """An open streamed response; iterate raw chunks, then ``aclose``."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers

    async def read(self) -> bytes:
        try:
            return await self._response.read()
        finally:
            self._response.release()

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except TimeoutError:
            raise UpstreamTimeoutError("the upstream stream stalled") from None
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailableError(f"the upstream stream broke: {exc}") from None

    async def aclose(self) -> None:
        self._response.close()


def _unreachable(exc: aiohttp.ClientError) -> UpstreamUnavailableError:
    # The kind of failure only: aiohttp's text names the upstream's host and port, which
    # callers of the gateway have no business seeing.
    return UpstreamUnavailableError(f"cannot reach the upstream ({type(exc).__name__})")


class Transport:
    """A pooled HTTP client for one deployment, opened at start and closed on reload."""

    def __init__(self, *, max_connections: int = 0, keepalive: float = 30.0) -> None:
        self._max_connections = max_connections
        self._keepalive = keepalive
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive,
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=True,
                skip_auto_headers=("User-Agent",),
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def send(
        self,
        method: str,
        url: StrOrURL,
        *,
        headers: Mapping[str, str],
        body: bytes | aiohttp.FormData | None = None,
        timeout: float,
        params: Mapping[str, str] | None = None,
    ) -> UpstreamResponse:
        """One whole request; ``timeout`` bounds the whole exchange."""
        try:
            async with self._client().request(
                method,
                url,
                headers=dict(headers),
                data=body,
                params=params,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                content = await response.read()
                return UpstreamResponse(response.status, response.headers, content)
        except TimeoutError:
            raise UpstreamTimeoutError(f"the upstream did not answer within {timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise _unreachable(exc) from None

    async def open_stream(
        self,
        method: str,
        url: StrOrURL,
        *,
        headers: Mapping[str, str],
        body: bytes,
        timeout: float,
        params: Mapping[str, str] | None = None,
    ) -> UpstreamStreamResponse:
        """Open a streamed request; ``timeout`` bounds connecting and every wait for data."""
        try:
            response = await self._client().request(
                method,
                url,
                headers=dict(headers),
                data=body,
                params=params,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
            )
        except TimeoutError:
            raise UpstreamTimeoutError(f"the upstream did not answer within {timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise _unreachable(exc) from None
        return UpstreamStreamResponse(response)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def form_data(
    fields: Mapping[str, Any], files: list[tuple[str, str, str, bytes]]
) -> aiohttp.FormData:
    """A multipart body of plain fields and (field, filename, content type, data) files."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, list):
            for item in value:
                form.add_field(f"{name}[]", str(item))
        else:
            form.add_field(name, value if isinstance(value, str) else _form_value(value))
    for field_name, filename, content_type, data in files:
        form.add_field(field_name, data, filename=filename, content_type=content_type)
    return form


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
