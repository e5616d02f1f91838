"""Virtual keys end to end: hashed storage, models, aliases, revoke, block, expiry, rotation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import openai
import pytest
from sqlalchemy import text

from app.db.types import utcnow
from app.errors import AuthenticationError, BadRequestError, NotFoundError
from app.gateway.auth import KeyAuthenticator
from app.keys.identity import KeyIdentity
from app.keys.models import VirtualKey
from app.keys.spec import KeySpec
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.tenancy import make_org, make_team, make_user

HI = [{"role": "user", "content": "Hi"}]


def two_models(fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": name,
                "deltallm_params": {"model": f"openai/{name}", "api_base": fake.base_url},
            }
            for name in ("gpt-a", "gpt-b")
        ]
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(two_models(fake_openai)) as gw:
        yield gw


async def ask(gw: RunningGateway, secret: str, model: str = "gpt-a") -> str | None:
    async with gw.client(secret) as client:
        reply = await client.chat.completions.create(model=model, messages=HI)
    return reply.choices[0].message.content


async def test_key_is_stored_hashed_and_works(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec(alias="app"))
    assert created.secret.startswith("sk-") and len(created.secret) > 40
    assert await ask(gateway, created.secret) == "Hello there!"
    async with gateway.runtime.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM virtual_keys"))).all()
    assert created.secret not in repr(rows)
    listed = await gateway.runtime.keys.list()
    assert [(k.key_prefix, k.key_suffix) for k in listed] == [
        (created.secret[:7], created.secret[-4:])
    ]


async def test_wrong_key_is_401(gateway: RunningGateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        await ask(gateway, "sk-not-a-real-key")


async def test_allowed_models_and_aliases(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    created = await gateway.runtime.keys.create(
        KeySpec(models=["gpt-a"], aliases={"fast": "gpt-a", "other": "gpt-b"})
    )
    assert await ask(gateway, created.secret, "gpt-a") == "Hello there!"
    assert await ask(gateway, created.secret, "fast") == "Hello there!"
    assert fake_openai.requests[-1].body["model"] == "gpt-a"
    for model in ("gpt-b", "other"):
        with pytest.raises(openai.PermissionDeniedError) as caught:
            await ask(gateway, created.secret, model)
        assert caught.value.code == "model_not_allowed"


async def test_team_and_org_model_lists_also_apply(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions, models=["gpt-a", "gpt-b"])
    team = await make_team(sessions, org, models=["gpt-b"])
    created = await gateway.runtime.keys.create(KeySpec(team_id=team.id))
    assert created.key.org_id == org.id
    assert await ask(gateway, created.secret, "gpt-b") == "Hello there!"
    with pytest.raises(openai.PermissionDeniedError):
        await ask(gateway, created.secret, "gpt-a")


async def test_revoke_block_unblock_take_effect_at_once(gateway: RunningGateway) -> None:
    keys = gateway.runtime.keys
    created = await keys.create(KeySpec())
    assert await ask(gateway, created.secret) == "Hello there!"
    await keys.set_blocked(created.key.id, True)
    await asyncio.sleep(0.05)
    with pytest.raises(openai.PermissionDeniedError) as blocked:
        await ask(gateway, created.secret)
    assert blocked.value.code == "key_blocked"
    await keys.set_blocked(created.key.id, False)
    await asyncio.sleep(0.05)
    assert await ask(gateway, created.secret) == "Hello there!"
    await keys.revoke(created.key.id)
    await asyncio.sleep(0.05)
    with pytest.raises(openai.AuthenticationError) as revoked:
        await ask(gateway, created.secret)
    assert revoked.value.code == "key_revoked"


async def test_blocked_owner_blocks_the_key(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    user = await make_user(sessions, blocked=True)
    created = await gateway.runtime.keys.create(KeySpec(user_id=user.id))
    with pytest.raises(openai.PermissionDeniedError):
        await ask(gateway, created.secret)


async def test_expired_key(gateway: RunningGateway) -> None:
    with pytest.raises(BadRequestError) as refused:
        await gateway.runtime.keys.create(KeySpec(expires_at=utcnow() - timedelta(seconds=1)))
    assert refused.value.param == "expires_at"
    created = await gateway.runtime.keys.create(KeySpec(expires_at=utcnow() + timedelta(hours=1)))
    async with gateway.runtime.sessions() as session, session.begin():
        key = await session.get(VirtualKey, created.key.id)
        assert key is not None
        key.expires_at = utcnow() - timedelta(seconds=1)  # the hour has passed
    with pytest.raises(openai.AuthenticationError) as caught:
        await ask(gateway, created.secret)
    assert caught.value.code == "key_expired"


async def test_regenerate_with_and_without_grace(gateway: RunningGateway) -> None:
    keys = gateway.runtime.keys
    created = await keys.create(KeySpec())
    assert await ask(gateway, created.secret)
    rotated = await keys.regenerate(created.key.id, grace=timedelta(seconds=1))
    await asyncio.sleep(0.05)
    assert await ask(gateway, rotated.secret) == "Hello there!"
    assert await ask(gateway, created.secret) == "Hello there!"  # within the grace period
    await asyncio.sleep(1.1)
    with pytest.raises(openai.AuthenticationError):
        await ask(gateway, created.secret)
    again = await keys.regenerate(created.key.id)
    await asyncio.sleep(0.05)
    with pytest.raises(openai.AuthenticationError):
        await ask(gateway, rotated.secret)
    assert await ask(gateway, again.secret) == "Hello there!"


async def test_unknown_owner_is_refused(gateway: RunningGateway) -> None:
    with pytest.raises(NotFoundError):
        await gateway.runtime.keys.create(KeySpec(team_id="no-such-team"))


async def test_a_lookup_overtaken_by_a_revocation_is_not_cached(gateway: RunningGateway) -> None:
    """A request that read the key before it was revoked must not cache what it read."""
    runtime = gateway.runtime
    created = await runtime.keys.create(KeySpec())
    loaded, release = asyncio.Event(), asyncio.Event()

    async def slow_seed(identity: KeyIdentity) -> None:
        loaded.set()
        await release.wait()

    authenticator = KeyAuthenticator(
        runtime.settings.master_key,
        runtime.settings.salt_key,
        runtime.sessions,
        runtime.cache,
        on_load=slow_seed,
    )
    in_flight = asyncio.create_task(authenticator.authenticate(created.secret))
    await loaded.wait()  # the row is read: not revoked yet
    await runtime.keys.revoke(created.key.id)
    release.set()
    assert (await in_flight).id == created.key.id  # it began before the revocation
    with pytest.raises(AuthenticationError) as caught:
        await runtime.gateway.authenticator.authenticate(created.secret)
    assert caught.value.code == "key_revoked"
    with pytest.raises(openai.AuthenticationError):
        await ask(gateway, created.secret)
