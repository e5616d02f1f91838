"""Budgets and limits of users and end users, set over POST /graphql and felt on /v1 at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import openai
import pytest
from sqlmodel import select

from app.audit.models import AuditLog
from app.keys.spec import KeySpec
from app.users.models import OrgRole, PlatformRole
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, signed_in
from tests.support.tenancy import make_end_user, make_user

HI = [{"role": "user", "content": "Hi"}]
# The fake answers 9 prompt + 3 completion tokens: at these prices a call costs $0.012.
PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}

BLOCK = """mutation($e: String!, $b: Boolean!) { setEndUserBlocked(externalId: $e, blocked: $b)
    { endUser { externalId blocked } errors { field code } } }"""
BUDGET = """mutation($e: String!, $m: Decimal, $d: String) { setEndUserBudget(externalId: $e,
    maxBudget: $m, budgetDuration: $d)
    { endUser { externalId maxBudget budgetDuration blocked } errors { field code } } }"""
END_USERS = """query($s: String, $a: String) { endUsers(first: 2, after: $a, search: $s)
    { totalCount pageInfo { hasNextPage endCursor }
      edges { node { externalId spend maxBudget blocked } } } }"""
USER_LIMITS = """mutation($u: ID!, $l: LimitsInput!) { setUserLimits(userId: $u, limits: $l)
    { limits { userId rpmLimit maxBudget budgetDuration } errors { field code } } }"""


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {
                    "model": "openai/gpt-a",
                    "api_base": fake_openai.base_url,
                    **PRICE,
                },
            }
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        yield gw


async def ask(gw: RunningGateway, secret: str, **kw: Any) -> Any:
    async with gw.client(secret) as client:
        return await client.chat.completions.create(model="gpt-a", messages=HI, max_tokens=10, **kw)


async def written(gw: RunningGateway) -> None:
    """Wait until every finished request's spend is in the database."""
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()


async def test_blocking_an_end_user_refuses_their_next_request(gateway: RunningGateway) -> None:
    secret = (await gateway.runtime.keys.create(KeySpec())).secret
    await ask(gateway, secret, user="customer-1")  # seen, and remembered as not blocked
    blocked = await gql(gateway, BLOCK, {"e": "customer-1", "b": True})
    assert blocked["data"]["setEndUserBlocked"] == {
        "endUser": {"externalId": "customer-1", "blocked": True},
        "errors": [],
    }
    with pytest.raises(openai.PermissionDeniedError) as caught:
        await ask(gateway, secret, user="customer-1")
    assert caught.value.status_code == 403
    assert caught.value.body == {
        "message": "End user `customer-1` is blocked.",
        "type": "permission_denied",
        "param": "user",
        "code": "end_user_blocked",
    }
    with pytest.raises(openai.PermissionDeniedError):
        await ask(gateway, secret, extra_headers={"x-deltallm-end-user-id": "customer-1"})
    await ask(gateway, secret, user="customer-2")  # others are unaffected
    await gql(gateway, BLOCK, {"e": "customer-1", "b": False})
    await ask(gateway, secret, user="customer-1")

    never_seen = await gql(gateway, BLOCK, {"e": "customer-new", "b": True})
    assert never_seen["data"]["setEndUserBlocked"]["endUser"]["blocked"] is True
    with pytest.raises(openai.PermissionDeniedError):
        await ask(gateway, secret, user="customer-new")
    async with gateway.runtime.sessions() as session:
        actions = (await session.exec(select(AuditLog.action))).all()
    assert sorted(actions) == ["end_user.block", "end_user.block", "end_user.unblock"]


async def test_an_end_user_budget_counts_from_the_next_request(gateway: RunningGateway) -> None:
    secret = (await gateway.runtime.keys.create(KeySpec())).secret
    await ask(gateway, secret, user="customer-7")  # $0.012, with no budget yet
    await written(gateway)
    body = await gql(gateway, BUDGET, {"e": "customer-7", "m": "0.02"})
    payload = body["data"]["setEndUserBudget"]
    assert payload["errors"] == [] and Decimal(payload["endUser"]["maxBudget"]) == Decimal("0.02")
    with pytest.raises(openai.RateLimitError) as caught:  # 0.008 left: a call may cost 0.019
        await ask(gateway, secret, user="customer-7")
    assert caught.value.status_code == 429
    assert caught.value.code == "budget_exceeded" and "end user" in caught.value.message
    await ask(gateway, secret, user="customer-8")  # another end user has no budget

    await gql(gateway, BUDGET, {"e": "customer-7", "m": "1"})
    await ask(gateway, secret, user="customer-7")
    lifted = await gql(gateway, BUDGET, {"e": "customer-7", "m": None})
    assert lifted["data"]["setEndUserBudget"]["endUser"]["maxBudget"] is None


async def test_a_fresh_end_user_budget_is_exhausted(gateway: RunningGateway) -> None:
    secret = (await gateway.runtime.keys.create(KeySpec())).secret
    body = await gql(gateway, BUDGET, {"e": "trial", "m": "0.03", "d": "1d"})
    assert body["data"]["setEndUserBudget"]["endUser"] == {
        "externalId": "trial",
        "maxBudget": "0.03",
        "budgetDuration": "1d",
        "blocked": False,
    }
    await ask(gateway, secret, user="trial")
    await ask(gateway, secret, user="trial")  # 0.024 spent; the next may cost 0.019
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(gateway, secret, user="trial")
    assert caught.value.code == "budget_exceeded"


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"e": "x", "m": "-1"}, "maxBudget"),
        ({"e": "x", "m": "1", "d": "fortnight"}, "budgetDuration"),
        ({"e": "", "m": "1"}, "externalId"),
    ],
)
async def test_end_user_budget_mistakes_are_payload_errors(
    gateway: RunningGateway, variables: dict[str, Any], field: str
) -> None:
    body = await gql(gateway, BUDGET, variables)
    assert body["data"]["setEndUserBudget"] == {
        "endUser": None,
        "errors": [{"field": field, "code": "invalid"}],
    }


async def test_end_users_are_listed_for_platform_admins(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    await make_end_user(sessions, "acme-alice", max_budget=Decimal(5), spend=Decimal("1.5"))
    await make_end_user(sessions, "acme-bob", blocked=True)
    await make_end_user(sessions, "globex-carol")
    old = await make_end_user(
        sessions, "acme-dave", max_budget=Decimal(5), budget_duration="1d", spend=Decimal(2)
    )
    assert old.budget_reset_at is None  # a periodic budget whose period has not begun
    first = (await gql(gateway, END_USERS, {"s": "ACME"}))["data"]["endUsers"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    nodes = [e["node"] for e in first["edges"]]
    assert [(n["externalId"], Decimal(n["spend"]), n["blocked"]) for n in nodes] == [
        ("acme-alice", Decimal("1.5"), False),
        ("acme-bob", Decimal(0), True),
    ]
    cursor = first["pageInfo"]["endCursor"]
    rest = (await gql(gateway, END_USERS, {"s": "acme", "a": cursor}))["data"]["endUsers"]
    [dave] = [e["node"] for e in rest["edges"]]
    assert dave["externalId"] == "acme-dave" and Decimal(dave["spend"]) == 0
    everyone = await gql(gateway, "{ endUsers { totalCount } }")
    assert everyone["data"]["endUsers"]["totalCount"] == 4
    underscore = await gql(gateway, END_USERS, {"s": "_"})
    assert underscore["data"]["endUsers"]["totalCount"] == 0  # a literal, not a wildcard

    _, co_admin = await signed_in(gateway, platform_role=PlatformRole.PLATFORM_CO_ADMIN)
    readable = await gql(gateway, "{ endUsers { totalCount } }", headers=co_admin)
    assert readable["data"]["endUsers"]["totalCount"] == 4
    changed = await gql(gateway, BLOCK, {"e": "acme-alice", "b": True}, headers=co_admin)
    assert codes(changed) == ["FORBIDDEN"]
    org_id = await new_org(gateway)
    _, owner = await signed_in(gateway, orgs={org_id: OrgRole.ORG_OWNER})
    assert codes(await gql(gateway, "{ endUsers { totalCount } }", headers=owner)) == ["FORBIDDEN"]


async def test_user_limits_apply_to_their_keys_at_once(gateway: RunningGateway) -> None:
    user = await make_user(gateway.runtime.sessions)
    secret = (await gateway.runtime.keys.create(KeySpec(user_id=user.id))).secret
    await ask(gateway, secret)  # the key's identity is cached with an unlimited user
    body = await gql(gateway, USER_LIMITS, {"u": user.id, "l": {"rpmLimit": 1}})
    assert body["data"]["setUserLimits"] == {
        "limits": {"userId": user.id, "rpmLimit": 1, "maxBudget": None, "budgetDuration": None},
        "errors": [],
    }
    await ask(gateway, secret)
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(gateway, secret)
    assert caught.value.code == "rate_limit_exceeded" and "user" in caught.value.message
    lifted = await gql(gateway, USER_LIMITS, {"u": user.id, "l": {"rpmLimit": None}})
    assert lifted["data"]["setUserLimits"]["limits"]["rpmLimit"] is None
    await ask(gateway, secret)

    read = await gql(
        gateway, "query($u: ID!) { userLimits(userId: $u) { rpmLimit email } }", {"u": user.id}
    )
    assert read["data"]["userLimits"] == {"rpmLimit": None, "email": user.email}
    async with gateway.runtime.sessions() as session:
        rows = (await session.exec(select(AuditLog))).all()
    assert [(r.action, r.target_id) for r in rows] == [("user.set_limits", user.id)] * 2
    assert rows[0].after is not None and rows[0].after["rpm_limit"] == 1


async def test_user_limit_mistakes_and_permissions(gateway: RunningGateway) -> None:
    user = await make_user(gateway.runtime.sessions)
    for limits, field in [({"tpmLimit": -5}, "tpmLimit"), ({"models": ["gpt-a"]}, "models")]:
        body = await gql(gateway, USER_LIMITS, {"u": user.id, "l": limits})
        [error] = body["data"]["setUserLimits"]["errors"]
        assert error["field"] == field
    missing = await gql(gateway, USER_LIMITS, {"u": "no-such-user", "l": {"rpmLimit": 1}})
    assert codes(missing) == ["NOT_FOUND"]
    _, co_admin = await signed_in(gateway, platform_role=PlatformRole.PLATFORM_CO_ADMIN)
    refused = await gql(
        gateway, USER_LIMITS, {"u": user.id, "l": {"rpmLimit": 1}}, headers=co_admin
    )
    assert codes(refused) == ["FORBIDDEN"]
