"""The per-address sign-in throttle and how it decides who the client is."""

from __future__ import annotations

import pytest

from app.auth.throttle import (
    SignInThrottle,
    SignInThrottledError,
    bucket,
    client_address,
    trusted_networks,
)
from app.limits.memory import MemoryCounterStore

PROXIES = trusted_networks(["10.0.0.0/8", "fd00::1"])


def test_without_trusted_proxies_the_socket_peer_is_the_client() -> None:
    headers = {"x-forwarded-for": "203.0.113.7"}
    assert client_address("198.51.100.2", headers, ()) == "198.51.100.2"
    assert client_address("127.0.0.1", headers, ()) == "127.0.0.1"
    assert client_address(None, headers, PROXIES) is None


def test_a_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    headers = {"x-forwarded-for": "203.0.113.7"}
    assert client_address("198.51.100.2", headers, PROXIES) == "198.51.100.2"


def test_a_trusted_proxy_names_the_client_and_client_claims_are_ignored() -> None:
    # The client sent "1.2.3.4" itself; the proxy appended the address it saw.
    headers = {"x-forwarded-for": "1.2.3.4, 203.0.113.7, 10.1.1.1"}
    assert client_address("10.0.0.5", headers, PROXIES) == "203.0.113.7"
    assert client_address("fd00::1", {"x-forwarded-for": "2001:db8::9"}, PROXIES) == "2001:db8::9"
    assert client_address("10.0.0.5", {}, PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", {"x-forwarded-for": "not-an-ip"}, PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", {"x-forwarded-for": "10.2.2.2"}, PROXIES) == "10.2.2.2"


def test_bad_proxy_entries_are_refused() -> None:
    with pytest.raises(ValueError):
        trusted_networks(["not a network"])


class FixedClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_each_address_gets_its_own_count_per_minute() -> None:
    clock = FixedClock(1_800_000_000.0)  # the start of a minute
    throttle = SignInThrottle(MemoryCounterStore(), 3, clock=clock)
    for _ in range(3):
        await throttle.check("203.0.113.7")
    with pytest.raises(SignInThrottledError) as refused:
        await throttle.check("203.0.113.7")
    assert (refused.value.status_code, refused.value.code) == (429, "too_many_attempts")
    await throttle.check("203.0.113.8")  # another source is not held back
    clock.now += 59
    with pytest.raises(SignInThrottledError):
        await throttle.check("203.0.113.7")
    clock.now += 1  # the next minute
    await throttle.check("203.0.113.7")


async def test_a_limit_of_zero_or_an_unknown_address_is_not_throttled() -> None:
    clock = FixedClock(1_800_000_000.0)
    off = SignInThrottle(MemoryCounterStore(), 0, clock=clock)
    on = SignInThrottle(MemoryCounterStore(), 1, clock=clock)
    for _ in range(5):
        await off.check("203.0.113.7")
        await on.check(None)


def test_an_ipv6_host_is_charged_by_its_64_block() -> None:
    assert bucket("2001:db8:1:2:aaaa::1") == bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert bucket("2001:db8:1:3::1") != bucket("2001:db8:1:2::1")
    assert bucket("::ffff:203.0.113.7") == bucket("203.0.113.7") == "203.0.113.7"
    assert bucket("testclient") == "testclient"


async def test_rotating_ipv6_addresses_in_one_block_share_a_count() -> None:
    throttle = SignInThrottle(MemoryCounterStore(), 2, clock=FixedClock(1_800_000_000.0))
    await throttle.check("2001:db8::1")
    await throttle.check("2001:db8::2")
    with pytest.raises(SignInThrottledError):
        await throttle.check("2001:db8::3")
