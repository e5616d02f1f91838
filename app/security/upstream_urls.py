"""Where an administrator may point the gateway: deployment and guardrail ``api_base``.

An ``api_base`` set through the admin API makes the gateway send requests (with its
credentials) wherever it says. Refused always: credentials in the URL, link-local
addresses (cloud metadata services live there), multicast, reserved and unspecified
addresses, the gateway's own listener, and its own database and Redis. Loopback and
private ranges (a local vLLM or Ollama) only with ``general_settings.allow_private_upstreams``.
Names are resolved when the URL is set and every address they resolve to is checked; a
name that does not resolve now is accepted (calls fail until it does). ``config.yaml``
is the operator's own and is not checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.errors import BadRequestError

__all__ = ["UpstreamUrlPolicy"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_RESOLVE_TIMEOUT_S = 2.0


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


@dataclass(frozen=True)
class UpstreamUrlPolicy:
    allow_private: bool = False
    own_endpoints: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    """(host, port) of the gateway's listener, database and Redis."""

    @classmethod
    def of(
        cls, allow_private: bool, endpoints: Iterable[tuple[str | None, int | None]]
    ) -> UpstreamUrlPolicy:
        known = frozenset((host.lower(), port) for host, port in endpoints if host and port)
        return cls(allow_private, known)

    async def check(self, url: str, param: str) -> None:
        """Raise :class:`BadRequestError` naming ``param`` unless ``url`` is allowed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequestError(f"{param}: must be an http(s) URL with a host", param=param)
        if parts.username or parts.password:
            raise BadRequestError(f"{param}: must not carry credentials; use api_key", param=param)
        try:
            port = parts.port or _default_port(parts.scheme)
        except ValueError:
            raise BadRequestError(f"{param}: the port is not a number", param=param) from None
        host = parts.hostname.lower().rstrip(".")
        for address in await _addresses(host, port):
            problem = self._problem(address)
            if problem is None and self._is_own(host, address, port):
                problem = "the gateway's own listener, database or Redis: never called"
            if problem is not None:
                raise BadRequestError(f"{param}: {host} is {problem}", param=param)

    def _problem(self, address: Address) -> str | None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_link_local:
            return f"link-local ({address}), where metadata services answer: never called"
        if address.is_multicast or address.is_reserved or address.is_unspecified:
            return f"a multicast, reserved or unspecified address ({address}): never called"
        private = address.is_loopback or address.is_private or address in _CGNAT
        if private and not self.allow_private:
            return (
                f"a loopback or private address ({address}); set "
                "general_settings.allow_private_upstreams: true to allow local servers"
            )
        return None

    def _is_own(self, host: str, address: Address, port: int) -> bool:
        for own_host, own_port in self.own_endpoints:
            if own_port != port:
                continue
            if own_host in (host, str(address)):
                return True
            if address.is_loopback and own_host in ("localhost", "0.0.0.0", "::", "127.0.0.1"):
                return True
        return False


async def _addresses(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), _RESOLVE_TIMEOUT_S
        )
    except (OSError, TimeoutError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
