"""Single sign-on against a real OIDC provider stub: code flow with PKCE, RS256 tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.audit.models import AuditLog
from app.users.models import User
from tests.support.fake_oidc import FakeOidcProvider, oidc_config
from tests.support.gateway import RunningGateway, running_gateway


@pytest.fixture
async def gateway(provider: FakeOidcProvider) -> AsyncIterator[RunningGateway]:
    config = oidc_config(provider)
    async with running_gateway(config) as gw:
        yield gw


async def sign_in(gw: RunningGateway) -> httpx.AsyncClient:
    """Walk the redirects as a browser would; returns the client holding the cookies."""
    http = httpx.AsyncClient(base_url=gw.root)
    to_provider = await http.get("/auth/login")
    assert to_provider.status_code == 302
    async with httpx.AsyncClient() as browser:
        back = await browser.get(to_provider.headers["location"])
    assert back.status_code == 302
    callback = back.headers["location"]
    assert callback.startswith(f"{gw.root}/auth/callback?")
    done = await http.get(callback.removeprefix(gw.root))
    assert done.status_code in (302, 401, 403), done.text
    http.last_response = done  # type: ignore[attr-defined]
    return http


async def me(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": "{ me { email platformRole } }"},
        headers={"x-deltallm-csrf": "1"},
    )
    body: dict[str, Any] = response.json()
    return body


async def test_sign_in_provisions_the_user(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    http = await sign_in(gateway)
    try:
        assert http.last_response.status_code == 302  # type: ignore[attr-defined]
        assert "deltallm_session" in http.cookies
        cookies = http.last_response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
        [session_cookie] = [c for c in cookies if c.startswith("deltallm_session=")]
        lifetime = int(gateway.runtime.identity.session_ttl.total_seconds())
        assert f"Max-Age={lifetime}" in session_cookie and "expires" not in session_cookie.lower()
        assert (await me(http))["data"]["me"] == {
            "email": "ada@example.com",
            "platformRole": "ORG_USER",
        }
        assert provider.token_requests[0]["code_verifier"]
    finally:
        await http.aclose()
    again = await sign_in(gateway)  # the same person signs in again: no second account
    try:
        assert (await me(again))["data"]["me"]["email"] == "ada@example.com"
    finally:
        await again.aclose()
    async with gateway.runtime.sessions() as session:
        [user] = (await session.exec(select(User))).all()
        audits = (await session.exec(select(AuditLog).order_by(col(AuditLog.created_at)))).all()
    assert [(a.action, a.actor_id, a.target_id, (a.after or {}).get("method")) for a in audits] == [
        ("user.create", None, user.id, None),
        ("session.login", user.id, user.id, "sso"),
        ("session.login", user.id, user.id, "sso"),
    ]


async def test_domains_outside_the_allow_list_are_refused(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    provider.email = "mallory@evil.test"
    http = await sign_in(gateway)
    try:
        response = http.last_response  # type: ignore[attr-defined]
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "sso_domain"
        assert "deltallm_session" not in http.cookies
    finally:
        await http.aclose()


async def test_a_forged_state_is_refused(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        await http.get("/auth/login")
        response = await http.get("/auth/callback", params={"code": "x", "state": "forged"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "sso_state"


async def test_sso_is_off_unless_configured() -> None:
    async with running_gateway({"model_list": []}) as gw, httpx.AsyncClient() as http:
        response = await http.get(f"{gw.root}/auth/login")
    assert response.status_code == 404


async def test_an_id_token_without_email_verified_signs_no_one_in(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    provider.email_verified = None
    http = await sign_in(gateway)
    try:
        response = http.last_response  # type: ignore[attr-defined]
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "sso_failed"
        assert "deltallm_session" not in http.cookies
    finally:
        await http.aclose()
    async with gateway.runtime.sessions() as session:
        assert (await session.exec(select(User))).all() == []
