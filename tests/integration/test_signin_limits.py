"""Sign-in limits over HTTP: the account lockout under concurrency, and the per-address
throttle. Runs on SQLite, or PostgreSQL (and Redis) when the test URLs are set."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from tests.support.gateway import RunningGateway, running_gateway

CSRF = {"x-deltallm-csrf": "1"}
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p)
    { ok errors { code } } }"""
MAX_FAILURES = 5  # the gateway's lockout limit


def _config(per_minute: int, trusted: list[str] | None = None) -> dict[str, Any]:
    signin: dict[str, Any] = {"max_attempts_per_minute": per_minute}
    if trusted is not None:
        signin["trusted_proxies"] = trusted
    return {"model_list": [], "general_settings": {"signin": signin}}


async def _login(
    http: httpx.AsyncClient, email: str, password: str, headers: dict[str, str] | None = None
) -> str:
    """``"ok"`` or the payload's error code."""
    response = await http.post(
        "/graphql",
        headers={**CSRF, **(headers or {})},
        json={"query": LOGIN, "variables": {"e": email, "p": password}},
    )
    assert response.status_code == 200, response.text
    login = response.json()["data"]["login"]
    return "ok" if login["ok"] else str(login["errors"][0]["code"])


async def _new_admin(gw: RunningGateway, http: httpx.AsyncClient, email: str) -> str:
    response = await http.post(
        "/graphql",
        headers={**CSRF, "Authorization": f"Bearer {gw.master_key}"},
        json={
            "query": """mutation($e: String!) { createUser(email: $e, role: PLATFORM_ADMIN)
            { temporaryPassword errors { code } } }""",
            "variables": {"e": email},
        },
    )
    password: str = response.json()["data"]["createUser"]["temporaryPassword"]
    return password


async def _master_works(gw: RunningGateway, http: httpx.AsyncClient) -> bool:
    response = await http.post(
        "/graphql",
        headers={**CSRF, "Authorization": f"Bearer {gw.master_key}"},
        json={"query": "{ users { totalCount } }"},
    )
    body = response.json()
    return "errors" not in body and isinstance(body["data"]["users"]["totalCount"], int)


async def test_concurrent_wrong_passwords_check_no_more_than_the_limit() -> None:
    """40 simultaneous wrong passwords: exactly the limit's worth are checked, the rest are
    refused as locked, and then the right password is refused too."""
    async with (
        running_gateway(_config(0)) as gw,
        httpx.AsyncClient(base_url=gw.root, timeout=60) as http,
    ):
        password = await _new_admin(gw, http, "root@example.com")
        outcomes = await asyncio.gather(
            *(_login(http, "root@example.com", f"wrong-{i}") for i in range(40))
        )
        assert Counter(outcomes) == {
            "invalid_credentials": MAX_FAILURES,
            "account_locked": 40 - MAX_FAILURES,
        }
        assert await _login(http, "root@example.com", password) == "account_locked"
        # Anyone can lock any account: the master key is the way back in, always.
        assert await _master_works(gw, http)


async def test_one_address_cannot_try_many_accounts() -> None:
    """Unknown e-mails from one address run into the throttle (forged X-Forwarded-For does
    not help when no proxy is trusted); the master key still works."""
    per_minute = 5
    async with (
        running_gateway(_config(per_minute)) as gw,
        httpx.AsyncClient(base_url=gw.root, timeout=60) as http,
    ):
        # The window is a calendar minute: 2 * limit + 1 attempts cross at most one
        # boundary, so at least one is refused however the clock falls.
        outcomes = [
            await _login(
                http, f"user{i}@example.com", "guess", {"x-forwarded-for": f"203.0.113.{i}"}
            )
            for i in range(2 * per_minute + 1)
        ]
        refused = outcomes.count("too_many_attempts")
        assert refused >= 1
        assert outcomes.count("invalid_credentials") <= 2 * per_minute
        assert set(outcomes) <= {"invalid_credentials", "too_many_attempts"}
        assert await _master_works(gw, http)


async def test_a_trusted_proxy_names_each_client() -> None:
    per_minute = 2
    async with (
        running_gateway(_config(per_minute, ["127.0.0.1"])) as gw,
        httpx.AsyncClient(base_url=gw.root, timeout=60) as http,
    ):
        outcomes = [
            await _login(http, "nobody@example.com", "guess", {"x-forwarded-for": f"203.0.113.{i}"})
            for i in range(3 * per_minute)
        ]
        assert set(outcomes) == {"invalid_credentials"}


async def test_one_aliased_request_cannot_try_many_accounts() -> None:
    """Aliased ``login`` fields in one request are attempts like any other."""
    per_minute = 5
    aliases = 2 * per_minute + 1  # at most one minute boundary inside one request
    document = (
        "mutation {"
        + " ".join(
            f'a{i}: login(email: "user{i}@example.com", password: "guess") {{ errors {{ code }} }}'
            for i in range(aliases)
        )
        + "}"
    )
    async with (
        running_gateway(_config(per_minute)) as gw,
        httpx.AsyncClient(base_url=gw.root, timeout=60) as http,
    ):
        response = await http.post("/graphql", headers=CSRF, json={"query": document})
        data = response.json()["data"]
        outcomes = [data[f"a{i}"]["errors"][0]["code"] for i in range(aliases)]
        assert outcomes.count("too_many_attempts") >= 1
        assert set(outcomes) <= {"invalid_credentials", "too_many_attempts"}
