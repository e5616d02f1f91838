"""Signing in to the admin API over HTTP: session cookie, CSRF rule, forced change, MFA."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pyotp
import pytest

from tests.support.gateway import RunningGateway, running_gateway

CSRF = {"x-deltallm-csrf": "1"}


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


async def post(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers if headers is not None else CSRF,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def next_code(secret: str) -> str:
    """The next time step's code: accepted (clock drift), and later than one just spent."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


LOGIN = """mutation($e: String!, $p: String!, $c: String) { login(email: $e, password: $p,
    totpCode: $c) { ok mfaRequired mustChangePassword errors { code } } }"""


async def new_user(gw: RunningGateway, email: str) -> str:
    async with httpx.AsyncClient(base_url=gw.root) as admin:
        body = await post(
            admin,
            """mutation($e: String!) { createUser(email: $e,
            role: PLATFORM_CO_ADMIN) { temporaryPassword user { id } errors { code } } }""",
            {"e": email},
            headers={"Authorization": f"Bearer {gw.master_key}"},
        )
    password: str = body["data"]["createUser"]["temporaryPassword"]
    return password


async def test_sign_in_change_password_sign_out(gateway: RunningGateway) -> None:
    temporary = await new_user(gateway, "Ada@Example.com")
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        wrong = await post(http, LOGIN, {"e": "ada@example.com", "p": "not-the-password"})
        assert wrong["data"]["login"]["errors"] == [{"code": "invalid_credentials"}]
        response = await http.post(
            "/graphql",
            headers=CSRF,
            json={"query": LOGIN, "variables": {"e": "ada@example.com", "p": temporary}},
        )
        login = response.json()["data"]["login"]
        assert login["ok"] and login["mustChangePassword"]
        cookie = response.headers["set-cookie"]
        assert "deltallm_session=" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()

        me = await post(http, "{ me { email platformRole mustChangePassword } }")
        assert me["data"]["me"] == {
            "email": "ada@example.com",
            "platformRole": "PLATFORM_CO_ADMIN",
            "mustChangePassword": True,
        }
        assert code(await post(http, "{ organizations { totalCount } }")) == (
            "PASSWORD_CHANGE_REQUIRED"
        )
        weak = await post(
            http,
            """mutation { changePassword(current: "x", new: "short")
            { code } }""",
        )
        assert weak["data"]["changePassword"]
        changed = await post(
            http,
            """mutation($c: String!) { changePassword(current: $c,
            new: "a much longer passphrase") { code } }""",
            {"c": temporary},
        )
        assert changed["data"]["changePassword"] == []
        orgs = await post(http, "{ organizations { totalCount } }")
        assert orgs["data"]["organizations"]["totalCount"] == 0

        # A cookie alone, without the custom header, cannot mutate (CSRF).
        forged = await post(http, "mutation { logout }", headers={})
        assert code(forged) == "UNAUTHENTICATED"

        assert (await post(http, "mutation { logout }"))["data"]["logout"] is True
        assert code(await post(http, "{ me { email } }")) == "UNAUTHENTICATED"


async def test_mfa_enrollment_and_sign_in_with_a_code(gateway: RunningGateway) -> None:
    temporary = await new_user(gateway, "grace@example.com")
    password = "correct horse battery staple"
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        await post(http, LOGIN, {"e": "grace@example.com", "p": temporary})
        await post(
            http,
            """mutation($c: String!, $n: String!) { changePassword(current: $c,
            new: $n) { code } }""",
            {"c": temporary, "n": password},
        )
        enrollment = await post(http, "mutation { startMfaEnrollment { otpauthUri secret } }")
        secret = enrollment["data"]["startMfaEnrollment"]["secret"]
        assert enrollment["data"]["startMfaEnrollment"]["otpauthUri"].startswith("otpauth://")
        enrolled_with = pyotp.TOTP(secret).now()
        codes = await post(
            http, "mutation($c: String!) { confirmMfaEnrollment(code: $c) }", {"c": enrolled_with}
        )
        recovery = codes["data"]["confirmMfaEnrollment"]
        assert len(recovery) == 10
        await post(http, "mutation { logout }")

    async with httpx.AsyncClient(base_url=gateway.root) as http:
        first = await post(http, LOGIN, {"e": "grace@example.com", "p": password})
        assert first["data"]["login"] == {
            "ok": False,
            "mfaRequired": True,
            "mustChangePassword": False,
            "errors": [],
        }
        assert code(await post(http, "{ me { email } }")) == "UNAUTHENTICATED"
        replayed = await post(
            http, LOGIN, {"e": "grace@example.com", "p": password, "c": enrolled_with}
        )
        assert replayed["data"]["login"]["errors"] == [{"code": "invalid_mfa_code"}]
        second = await post(
            http, LOGIN, {"e": "grace@example.com", "p": password, "c": next_code(secret)}
        )
        assert second["data"]["login"]["ok"] is True
        assert (await post(http, "{ me { email } }"))["data"]["me"]["email"] == (
            "grace@example.com"
        )

    async with httpx.AsyncClient(base_url=gateway.root) as http:
        with_recovery = await post(
            http, LOGIN, {"e": "grace@example.com", "p": password, "c": recovery[0]}
        )
        assert with_recovery["data"]["login"]["ok"] is True
        again = await post(http, LOGIN, {"e": "grace@example.com", "p": password, "c": recovery[0]})
        assert again["data"]["login"]["errors"] == [{"code": "invalid_mfa_code"}]


async def test_only_admins_manage_users(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        anonymous = await post(http, "{ users { totalCount } }")
        assert code(anonymous) == "UNAUTHENTICATED"
        master = {"Authorization": f"Bearer {gateway.master_key}"}
        await new_user(gateway, "one@example.com")
        listed = await post(
            http, "{ users { totalCount edges { node { email } } } }", headers=master
        )
        assert listed["data"]["users"]["totalCount"] == 1


async def test_the_cookie_lives_as_long_as_the_session(gateway: RunningGateway) -> None:
    """A relative Max-Age equal to the server's session lifetime; no far-off Expires."""
    temporary = await new_user(gateway, "hopper@example.com")
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        response = await http.post(
            "/graphql",
            headers=CSRF,
            json={"query": LOGIN, "variables": {"e": "hopper@example.com", "p": temporary}},
        )
        assert response.json()["data"]["login"]["ok"] is True
        jar = SimpleCookie()
        jar.load(response.headers["set-cookie"])
        morsel = jar["deltallm_session"]
        lifetime = gateway.runtime.identity.session_ttl
        assert lifetime == timedelta(hours=12)
        assert morsel["max-age"] == str(int(lifetime.total_seconds()))
        assert morsel["expires"] == ""
        me = await post(http, "{ me { email } }")
        assert me["data"]["me"]["email"] == "hopper@example.com"


async def test_blocking_ends_sessions_for_good(gateway: RunningGateway) -> None:
    """Sign in, block, unblock: the cookie issued before the block stays refused."""
    temporary = await new_user(gateway, "lovelace@example.com")
    master = {"Authorization": f"Bearer {gateway.master_key}"}
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        login = await post(http, LOGIN, {"e": "lovelace@example.com", "p": temporary})
        assert login["data"]["login"]["ok"] is True
        me = await post(http, "{ me { id } }")
        user_id = me["data"]["me"]["id"]
        for blocked in (True, False):
            changed = await post(
                http,
                """mutation($u: ID!, $b: Boolean!) { setUserBlocked(userId: $u, blocked: $b)
                { user { blocked } errors { code } } }""",
                {"u": user_id, "b": blocked},
                headers={**CSRF, **master},
            )
            assert changed["data"]["setUserBlocked"] == {"user": {"blocked": blocked}, "errors": []}
        assert code(await post(http, "{ me { id } }")) == "UNAUTHENTICATED"
        again = await post(http, LOGIN, {"e": "lovelace@example.com", "p": temporary})
        assert again["data"]["login"]["ok"] is True
        assert (await post(http, "{ me { id } }"))["data"]["me"]["id"] == user_id
