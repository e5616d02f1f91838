"""Rate limits and budgets at every level, exact under concurrency, through the SDK."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import openai
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from app.keys.spec import KeySpec
from app.spend.models import SpendLog
from app.tokens import estimate_prompt_tokens
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql
from tests.support.tenancy import make_end_user, make_org, make_team, make_user

HI = [{"role": "user", "content": "Hi"}]
# The fake answers 9 prompt + 3 completion tokens: at these prices a call costs $0.012.
PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
COST = Decimal("0.012")


def config(fake: FakeOpenAI, **general: Any) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": name,
                "deltallm_params": {"model": f"openai/{name}", "api_base": fake.base_url, **PRICE},
            }
            for name in ("gpt-a", "gpt-b")
        ],
        "general_settings": {"proxy_batch_write_at": 0.1, **general},
    }


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    async with running_gateway(config(fake_openai)) as gw:
        yield gw


async def ask(gw: RunningGateway, secret: str, model: str = "gpt-a", **kw: Any) -> Any:
    async with gw.client(secret) as client:
        return await client.chat.completions.with_raw_response.create(
            model=model, messages=HI, max_tokens=10, **kw
        )


async def recorded(gw: RunningGateway, status: str = "ok", **where: Any) -> tuple[Decimal, int]:
    """Spend and count of the requests that ended with ``status``, once queued records are
    written (refused calls are logged as errors at no cost)."""
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()
    query = select(func.coalesce(func.sum(SpendLog.cost), 0), func.count(col(SpendLog.id)))
    query = query.where(SpendLog.status == status)
    for name, value in where.items():
        query = query.where(getattr(SpendLog, name) == value)
    async with gw.runtime.sessions() as session:
        total, count = (await session.exec(query)).one()
    return Decimal(total), int(count)


async def test_rpm_limit_with_headers(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec(rpm_limit=2))
    first = await ask(gateway, created.secret)
    assert first.headers["x-ratelimit-limit-requests"] == "2"
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert first.headers["x-ratelimit-reset-requests"].endswith("s")
    await ask(gateway, created.secret)
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(gateway, created.secret)
    assert caught.value.code == "rate_limit_exceeded"
    assert int(caught.value.response.headers["retry-after"]) >= 1
    assert caught.value.response.headers["x-ratelimit-remaining-requests"] == "0"


async def test_tpm_limit(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec(tpm_limit=20))
    await ask(gateway, created.secret)  # 12 tokens used
    await ask(gateway, created.secret)  # admitted at 12 < 20, ends at 24
    with pytest.raises(openai.RateLimitError):
        await ask(gateway, created.secret)


async def test_parallel_limit(gateway: RunningGateway, fake_openai: FakeOpenAI) -> None:
    created = await gateway.runtime.keys.create(KeySpec(max_parallel_requests=1))
    fake_openai.delay = 0.4
    slow = asyncio.create_task(ask(gateway, created.secret))
    await asyncio.sleep(0.15)
    with pytest.raises(openai.RateLimitError):
        await ask(gateway, created.secret)
    await slow
    fake_openai.delay = 0
    await ask(gateway, created.secret)  # the slot was released


@pytest.mark.parametrize("level", ["user", "team", "org"])
async def test_owner_level_limits(gateway: RunningGateway, level: str) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions, **({"rpm_limit": 1} if level == "org" else {}))
    team = await make_team(sessions, org, **({"rpm_limit": 1} if level == "team" else {}))
    user = await make_user(sessions, **({"rpm_limit": 1} if level == "user" else {}))
    # Two unlimited keys share the owner's limit.
    one = await gateway.runtime.keys.create(KeySpec(team_id=team.id, user_id=user.id))
    two = await gateway.runtime.keys.create(KeySpec(team_id=team.id, user_id=user.id))
    await ask(gateway, one.secret)
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(gateway, two.secret)
    assert level in caught.value.message


async def test_budget_is_exact_under_concurrency(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    reserve = (estimate_prompt_tokens({"messages": HI}) + 10) * Decimal("0.001")
    budget = reserve * 20
    created = await gateway.runtime.keys.create(KeySpec(max_budget=budget))
    # Every admitted request is held upstream until all 200 were admitted or refused,
    # so no settlement can free budget for a latecomer.
    fake_openai.hold = asyncio.Event()
    refused = 0

    async with gateway.client(created.secret) as client:

        async def one() -> str:
            nonlocal refused
            try:
                await client.chat.completions.create(model="gpt-a", messages=HI, max_tokens=10)
            except openai.RateLimitError as exc:
                assert exc.code == "budget_exceeded"
                refused += 1
                return "refused"
            return "ok"

        calls = asyncio.gather(*(one() for _ in range(200)))
        # Polls two counts: refusals here, arrivals at the upstream.
        while refused + len(fake_openai.requests) < 200 and not calls.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        fake_openai.hold.set()
        outcomes = await calls
    assert outcomes.count("ok") == 20
    spend, count = await recorded(gateway, key_id=created.key.id)
    assert count == 20
    assert await recorded(gateway, "error", key_id=created.key.id, status_code=429) == (0, 180)
    assert spend == COST * 20
    assert spend <= budget


async def test_refused_calls_are_in_the_request_log(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec(rpm_limit=1))
    await ask(gateway, created.secret)
    with pytest.raises(openai.RateLimitError):
        await ask(gateway, created.secret)
    await recorded(gateway)
    body = await gql(
        gateway,
        """query($k: ID!) { requestLogs(filter: {keyId: $k}) { totalCount
        edges { node { status statusCode cost promptTokens } } } }""",
        {"k": created.key.id},
    )
    logs = body["data"]["requestLogs"]
    assert logs["totalCount"] == 2
    rows = sorted((e["node"] for e in logs["edges"]), key=lambda r: r["statusCode"])
    assert [(r["status"], r["statusCode"]) for r in rows] == [("ok", 200), ("error", 429)]
    assert rows[1]["cost"] == "0" and rows[1]["promptTokens"] == 0


async def test_budget_refuses_once_spent(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(KeySpec(max_budget=Decimal("0.03")))
    await ask(gateway, created.secret)
    await ask(gateway, created.secret)  # spent 0.024; a third needs 0.019 more
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(gateway, created.secret)
    assert caught.value.code == "budget_exceeded"


async def test_budget_resets_each_period(gateway: RunningGateway) -> None:
    # Ten minutes into the current hour: today's date, a fixed distance from the reset.
    now = [time.time() // 3600 * 3600 + 600]
    gateway.runtime.gateway.set_clock(lambda: now[0])
    created = await gateway.runtime.keys.create(
        KeySpec(max_budget=Decimal("0.02"), budget_duration="1h")
    )
    await ask(gateway, created.secret)
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(gateway, created.secret)
    assert int(caught.value.response.headers["retry-after"]) > 60
    now[0] += 3600
    await ask(gateway, created.secret)


async def test_per_model_budget_on_a_key(gateway: RunningGateway) -> None:
    created = await gateway.runtime.keys.create(
        KeySpec(model_max_budget={"gpt-a": Decimal("0.02")}, model_rpm_limit={"gpt-b": 1})
    )
    await ask(gateway, created.secret, "gpt-a")
    with pytest.raises(openai.RateLimitError):
        await ask(gateway, created.secret, "gpt-a")
    await ask(gateway, created.secret, "gpt-b")
    with pytest.raises(openai.RateLimitError):
        await ask(gateway, created.secret, "gpt-b")


async def test_end_user_budget_and_spend(gateway: RunningGateway) -> None:
    await make_end_user(gateway.runtime.sessions, "customer-7", max_budget=Decimal("0.02"))
    created = await gateway.runtime.keys.create(KeySpec())
    await ask(gateway, created.secret, user="customer-7")
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(gateway, created.secret, user="customer-7")
    assert "end user" in caught.value.message
    await ask(gateway, created.secret, extra_headers={"x-deltallm-end-user-id": "someone-else"})
    spend, count = await recorded(gateway, end_user="customer-7")
    assert (spend, count) == (COST, 1)
    assert await recorded(gateway, "error", end_user="customer-7", status_code=429) == (0, 1)


async def test_org_budget_shared_by_teams(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions, max_budget=Decimal("0.03"))
    keys = [
        await gateway.runtime.keys.create(KeySpec(team_id=(await make_team(sessions, org)).id))
        for _ in range(2)
    ]
    await ask(gateway, keys[0].secret)
    await ask(gateway, keys[1].secret)
    with pytest.raises(openai.RateLimitError):
        await ask(gateway, keys[0].secret)
    spend, count = await recorded(gateway, org_id=org.id)
    assert (spend, count) == (COST * 2, 2)


@pytest.mark.parametrize("level", ["user", "team"])
async def test_owner_budgets(gateway: RunningGateway, level: str) -> None:
    sessions = gateway.runtime.sessions
    budget = {"max_budget": Decimal("0.03")}
    org = await make_org(sessions)
    team = await make_team(sessions, org, **(budget if level == "team" else {}))
    user = await make_user(sessions, **(budget if level == "user" else {}))
    one = await gateway.runtime.keys.create(KeySpec(team_id=team.id, user_id=user.id))
    two = await gateway.runtime.keys.create(KeySpec(team_id=team.id, user_id=user.id))
    await ask(gateway, one.secret)
    await ask(gateway, two.secret)  # 0.024 spent; 0.019 more does not fit in 0.03
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(gateway, one.secret)
    assert caught.value.code == "budget_exceeded" and level in caught.value.message
    spend, count = await recorded(
        gateway, **{f"{level}_id": (user if level == "user" else team).id}
    )
    assert (spend, count) == (COST * 2, 2)
