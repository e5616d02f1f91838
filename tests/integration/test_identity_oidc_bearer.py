"""OIDC bearer tokens as admin-API callers: real RS256 tokens from a provider on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from app.audit.models import AuditLog
from app.users.models import User
from tests.support.fake_oidc import FakeOidcProvider, oidc_config
from tests.support.gateway import RunningGateway, running_gateway

ME = "{ me { kind email platformRole } }"
AUDIENCE = "deltallm-admin-api"


@pytest.fixture
async def gateway(provider: FakeOidcProvider) -> AsyncIterator[RunningGateway]:
    async with running_gateway(oidc_config(provider, audience=AUDIENCE)) as gw:
        yield gw


async def call(gw: RunningGateway, token: str, query: str = ME) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=gw.root) as http:
        response = await http.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refusal(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


async def users(gw: RunningGateway) -> list[User]:
    async with gw.runtime.sessions() as session:
        return list((await session.exec(select(User))).all())


async def test_a_provider_token_is_a_user_provisioned_on_first_use(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    token = provider.sign()
    for _ in range(3):
        body = await call(gateway, token)
        assert body["data"]["me"] == {
            "kind": "user",
            "email": "ada@example.com",
            "platformRole": "ORG_USER",
        }
    [user] = await users(gateway)
    assert (user.email, user.password_hash, user.must_change_password) == (
        "ada@example.com",
        None,
        False,
    )
    assert provider.jwks_requests == 1  # the signing keys are cached
    async with gateway.runtime.sessions() as session:
        created = (await session.exec(select(AuditLog))).all()
    assert [(a.action, a.target_id, a.after) for a in created] == [
        (
            "user.create",
            user.id,
            {"email": "ada@example.com", "platform_role": "org_user", "source": "oidc"},
        )
    ]


async def test_the_configured_audience_is_accepted_too(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    for audience in (AUDIENCE, ["someone-else", provider.client_id]):
        body = await call(gateway, provider.sign(aud=audience))
        assert body["data"]["me"]["email"] == "ada@example.com"


async def test_concurrent_first_requests_provision_one_user(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    bodies = await asyncio.gather(*(call(gateway, provider.sign()) for _ in range(4)))
    assert [b["data"]["me"]["email"] for b in bodies] == ["ada@example.com"] * 4
    assert len(await users(gateway)) == 1


async def test_tokens_that_fail_verification_are_unauthenticated(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "wrong audience": (provider.sign(aud="another-app"), "Audience doesn't match"),
        "expired": (provider.sign(lifetime=-120), "Signature has expired"),
        "bad signature": (provider.sign(key=stranger), "Signature verification failed"),
        "wrong issuer": (provider.sign(iss="https://evil.test"), "Invalid issuer"),
        "no expiry": (provider.sign(exp=None), 'Token is missing the "exp" claim'),
        "HS256": (
            jwt.encode({"aud": provider.client_id}, "k" * 32, "HS256", headers={"kid": "k1"}),
            "The specified alg value is not allowed",
        ),
    }
    for case, (token, reason) in refused.items():
        assert refusal(await call(gateway, token)) == (
            "UNAUTHENTICATED",
            f"The bearer token was refused: The token is not valid: {reason}",
        ), case
    unknown_kid = provider.sign(key=stranger, kid="k9")
    assert refusal(await call(gateway, unknown_kid)) == (
        "UNAUTHENTICATED",
        "The bearer token was refused: The token is signed with an unknown key 'k9'.",
    )
    assert await users(gateway) == []


async def test_the_user_rules_of_single_sign_on_apply(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    provider.email = "mallory@evil.test"
    assert refusal(await call(gateway, provider.sign())) == (
        "UNAUTHENTICATED",
        "The bearer token was refused: Sign-in from evil.test is not allowed.",
    )
    provider.email, provider.email_verified = "ada@example.com", False
    assert refusal(await call(gateway, provider.sign())) == (
        "UNAUTHENTICATED",
        "The bearer token was refused: The provider gave no verified email.",
    )
    provider.email_verified = True
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    async with gateway.runtime.sessions() as session, session.begin():
        user = (await session.exec(select(User))).one()
        user.blocked = True
    assert refusal(await call(gateway, provider.sign())) == (
        "UNAUTHENTICATED",
        "The bearer token was refused: This account is blocked.",
    )


async def test_keys_keep_their_path(gateway: RunningGateway, provider: FakeOidcProvider) -> None:
    master = await call(gateway, gateway.master_key)
    assert master["data"]["me"]["kind"] == "master_key"
    assert refusal(await call(gateway, "sk-not-a-key")) == (
        "UNAUTHENTICATED",
        "This key cannot administer the gateway.",
    )
    assert provider.jwks_requests == 0


async def test_without_oidc_a_jwt_is_just_an_unknown_key(provider: FakeOidcProvider) -> None:
    async with running_gateway({"model_list": []}) as gw:
        assert refusal(await call(gw, provider.sign())) == (
            "UNAUTHENTICATED",
            "This key cannot administer the gateway.",
        )
    assert provider.jwks_requests == 0
