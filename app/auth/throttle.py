"""How many sign-in attempts one client address may make in a minute.

Anyone may try to sign in, so without a bound one source could try hundreds of e-mails
(or lock every account). Each attempt is admitted or refused in one atomic step of the
shared counter store (:mod:`app.limits`): in-process on the embedded default, one Lua
script in Redis when several instances share it. The address is the socket peer unless
the peer is a configured trusted proxy (see :func:`client_address`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from app.errors import RateLimitError
from app.limits.counters import Admission, CounterStore, LimitLevel

__all__ = [
    "SignInThrottle",
    "SignInThrottledError",
    "bucket",
    "client_address",
    "trusted_networks",
]

Network = IPv4Network | IPv6Network


class SignInThrottledError(RateLimitError):
    """This address made too many sign-in attempts this minute."""

    default_code = "too_many_attempts"

    def __init__(self) -> None:
        super().__init__("too many sign-in attempts from this address: try again in a minute")


def trusted_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The proxies whose ``X-Forwarded-For`` is believed (addresses or CIDR blocks)."""
    return tuple(ip_network(cidr, strict=False) for cidr in cidrs)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(
    peer: str | None, headers: Mapping[str, str], trusted: tuple[Network, ...]
) -> str | None:
    """The address a request came from: the socket ``peer``, or, when the peer is a
    trusted proxy, the right-most ``X-Forwarded-For`` entry that is not a trusted proxy.

    Entries left of the first untrusted one are the client's own claims and are ignored.
    """
    if peer is None or not trusted or not _trusted(peer, trusted):
        return peer
    forwarded = headers.get("x-forwarded-for")
    if not forwarded:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",")]
    for hop in reversed(hops):
        if not hop:
            break
        if not _trusted(hop, trusted):
            return hop if _is_address(hop) else peer
    return hops[0] if hops[0] and _is_address(hops[0]) else peer


def _is_address(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


def bucket(address: str) -> str:
    """What one source is charged as: an IPv4 address, or the /64 of an IPv6 one (a
    single host is usually given a whole /64, so counting /128s would let it rotate)."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


class SignInThrottle:
    """At most ``per_minute`` attempts per client address and calendar minute."""

    def __init__(
        self,
        counters: CounterStore,
        per_minute: int,
        trusted_proxies: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._counters = counters
        self._per_minute = per_minute
        self._trusted = trusted_networks(trusted_proxies)
        self._clock = clock

    def address(self, peer: str | None, headers: Mapping[str, str]) -> str | None:
        """The client address of a request (see :func:`client_address`)."""
        return client_address(peer, headers, self._trusted)

    async def check(self, address: str | None) -> None:
        """Count one attempt from ``address``; raise :class:`SignInThrottledError` past
        the limit. Attempts with no known address are not throttled (there is no source
        to charge them to); a limit of 0 turns the throttle off."""
        if address is None or self._per_minute == 0:
            return
        now = self._clock()
        level = LimitLevel(scope=f"signin:{bucket(address)}", rpm=self._per_minute)
        admission = Admission(uuid.uuid4().hex, (level,), 0, Decimal(0), now)
        result = await self._counters.admit(admission)
        if not result.admitted:
            raise SignInThrottledError()
        if result.reservation is not None:  # nothing is held; drop the admission's record
            await self._counters.settle(result.reservation, cost=Decimal(0), tokens=0, now=now)
