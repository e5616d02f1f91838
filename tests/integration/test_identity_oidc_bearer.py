"""OIDC bearer tokens as admin-API callers: real RS256 tokens from a provider on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from app.audit.models import AuditLog
from app.auth.oidc import JWKS_REFRESH_FLOOR, OidcProvider
from app.users.models import User
from tests.support.clock import Clock
from tests.support.fake_oidc import FakeOidcProvider, oidc_config
from tests.support.gateway import RunningGateway, running_gateway

ME = "{ me { kind email platformRole } }"
AUDIENCE = "deltallm-admin-api"
FLOOR = timedelta(seconds=JWKS_REFRESH_FLOOR)


@pytest.fixture
async def gateway(provider: FakeOidcProvider) -> AsyncIterator[RunningGateway]:
    async with running_gateway(oidc_config(provider, audience=AUDIENCE)) as gw:
        yield gw


@pytest.fixture
def clock(gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The gateway's provider keys timed by a clock the test moves (before any token)."""
    clock = Clock()
    sso = gateway.runtime.sso
    timed = OidcProvider(sso.settings, gateway.runtime.http, lambda: clock().timestamp())
    monkeypatch.setattr(sso, "provider", timed)
    return clock


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


def unknown_key(kid: str) -> tuple[str, str]:
    return (
        "UNAUTHENTICATED",
        f"The bearer token was refused: The token is signed with an unknown key {kid!r}.",
    )


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
    assert provider.jwks_requests == 1  # the first requests share one fetch


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


async def test_a_rotated_signing_key_is_trusted_without_a_restart(
    gateway: RunningGateway, provider: FakeOidcProvider, clock: Clock
) -> None:
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    provider.rotate("k2", keep=True)
    clock.advance(FLOOR)
    for token in (provider.sign(), provider.sign(kid="k1"), provider.sign()):
        assert (await call(gateway, token))["data"]["me"]["email"] == "ada@example.com"
    assert provider.jwks_requests == 2  # one refetch, for the new kid


async def test_a_flood_of_unknown_kids_refetches_once_per_window(
    gateway: RunningGateway, provider: FakeOidcProvider, clock: Clock
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    assert provider.jwks_requests == 1

    async def flood(wave: int) -> None:
        kids = [f"x{wave}-{n}" for n in range(12)]
        tokens = [provider.sign(key=stranger, kid=kid) for kid in kids]
        bodies = await asyncio.gather(*(call(gateway, token) for token in tokens))
        assert [refusal(body) for body in bodies] == [unknown_key(kid) for kid in kids]
        for kid in kids[:3]:
            assert refusal(await call(gateway, provider.sign(key=stranger, kid=kid))) == (
                unknown_key(kid)
            )

    clock.advance(FLOOR)
    await flood(1)
    assert provider.jwks_requests == 2
    clock.advance(FLOOR - timedelta(seconds=1))
    await flood(2)
    assert provider.jwks_requests == 2
    clock.advance(timedelta(seconds=1))
    await flood(3)
    assert provider.jwks_requests == 3


async def test_a_key_removed_from_the_jwks_is_refused_once_it_is_refetched(
    gateway: RunningGateway, provider: FakeOidcProvider, clock: Clock
) -> None:
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    provider.rotate("k2")
    clock.advance(FLOOR)
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    assert provider.jwks_requests == 2
    assert refusal(await call(gateway, provider.sign(kid="k1"))) == unknown_key("k1")
    assert provider.jwks_requests == 2  # refused from the refetched keys, no new fetch

    provider.rotate("k3")  # nobody shows a k3 token: the hourly refetch drops k2 anyway
    clock.advance(timedelta(hours=1, seconds=1))
    assert refusal(await call(gateway, provider.sign(kid="k2"))) == unknown_key("k2")
    assert provider.jwks_requests == 3
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    assert provider.jwks_requests == 3


async def test_a_provider_outage_keeps_the_keys_already_fetched(
    gateway: RunningGateway, provider: FakeOidcProvider, clock: Clock
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    assert provider.jwks_requests == 1
    provider.down = True
    clock.advance(timedelta(hours=1, seconds=1))  # discovery and JWKS both due for a refetch
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    # Unknown kids during the outage are refused without trying the provider again.
    for n in range(5):
        body = await call(gateway, provider.sign(key=stranger, kid=f"x{n}"))
        assert refusal(body) == unknown_key(f"x{n}")
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    attempts = provider.jwks_requests
    assert attempts == 2  # one failed attempt (discovery fails too: its old copy serves)

    provider.down = False
    provider.rotate("k2")
    clock.advance(FLOOR)
    assert (await call(gateway, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
    assert provider.jwks_requests == attempts + 1
    assert refusal(await call(gateway, provider.sign(kid="k1"))) == unknown_key("k1")


async def test_without_any_keys_an_outage_is_a_clear_refusal(
    gateway: RunningGateway, provider: FakeOidcProvider, clock: Clock
) -> None:
    provider.down = True
    code, message = refusal(await call(gateway, provider.sign()))
    assert code == "UNAUTHENTICATED"
    assert "unreachable" in message


async def _local_admin(gw: RunningGateway, email: str) -> str:
    body = await call(
        gw,
        gw.master_key,
        f'mutation {{ createUser(email: "{email}", role: PLATFORM_ADMIN) {{ user {{ id }} }} }}',
    )
    user_id: str = body["data"]["createUser"]["user"]["id"]
    return user_id


async def test_a_token_without_email_verified_is_not_the_local_admin(
    gateway: RunningGateway, provider: FakeOidcProvider
) -> None:
    """A token naming an existing admin's address, with no ``email_verified`` (or a false
    one), is refused and creates nobody; a verified one, however the address is cased,
    is that admin."""
    admin_id = await _local_admin(gateway, "admin@example.com")
    provider.email = " Admin@Example.COM"
    for claim in (None, False, "false", 1):
        provider.email_verified = claim
        assert refusal(await call(gateway, provider.sign())) == (
            "UNAUTHENTICATED",
            "The bearer token was refused: The provider gave no verified email.",
        ), claim
    assert [u.id for u in await users(gateway)] == [admin_id]
    for claim in (True, "true"):
        provider.email_verified = claim
        me = (await call(gateway, provider.sign(), "{ me { id email platformRole } }"))["data"]
        assert me["me"] == {
            "id": admin_id,
            "email": "admin@example.com",
            "platformRole": "PLATFORM_ADMIN",
        }


async def test_unverified_addresses_only_by_explicit_choice(provider: FakeOidcProvider) -> None:
    config = oidc_config(provider, allow_unverified_email=True)
    async with running_gateway(config) as gw:
        provider.email_verified = None
        assert (await call(gw, provider.sign()))["data"]["me"]["email"] == "ada@example.com"
