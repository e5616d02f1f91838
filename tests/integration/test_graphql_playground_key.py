"""createPlaygroundKey over POST /graphql: a short-lived key for the signed-in user, used on
/v1 like any key, limited to the models their team may use and charged for its calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import openai
import pytest

from app.db.types import utcnow
from app.keys.models import VirtualKey
from app.orgs.models import Team
from app.users.models import OrgRole, PlatformRole, TeamRole
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, new_team, signed_in

PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}
MINT = """mutation($t: ID, $m: Int! = 15) { createPlaygroundKey(teamId: $t, minutes: $m) {
  secret key { id userId teamId orgId tags expiresAt status } errors { field code } } }"""


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [
            {
                "model_name": name,
                "deltallm_params": {
                    "model": f"openai/{name}",
                    "api_base": fake_openai.base_url,
                    **PRICE,
                },
            }
            for name in ("gpt-a", "gpt-b")
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        yield gw


async def mint(gw: RunningGateway, headers: dict[str, str], **v: Any) -> dict[str, Any]:
    body = await gql(gw, MINT, v, headers=headers)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createPlaygroundKey"]
    return payload


async def ask(gw: RunningGateway, secret: str, model: str) -> str | None:
    async with gw.client(secret) as client:
        answer = await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=10
        )
    return answer.choices[0].message.content


async def test_a_viewer_mints_a_short_lived_key_and_uses_it(gateway: RunningGateway) -> None:
    org = await new_org(gateway)
    team = await new_team(gateway, org)
    async with gateway.runtime.sessions() as session, session.begin():
        row = await session.get(Team, team)
        assert row is not None
        row.models = ["gpt-a"]
    await gateway.runtime.invalidator.publish(None)
    user_id, viewer = await signed_in(
        gateway, orgs={org: OrgRole.ORG_MEMBER}, teams={team: TeamRole.TEAM_VIEWER}
    )
    before = utcnow()
    payload = await mint(gateway, viewer, t=team, m=10)
    after = utcnow()
    assert payload["errors"] == [] and payload["secret"].startswith("sk-")
    key = payload["key"]
    assert (key["userId"], key["teamId"], key["orgId"]) == (user_id, team, org)
    assert key["tags"] == ["playground"] and key["status"] == "ACTIVE"
    expires = datetime.fromisoformat(key["expiresAt"])
    assert before + timedelta(minutes=10) <= expires <= after + timedelta(minutes=10)

    assert await ask(gateway, payload["secret"], "gpt-a") == "Hello there!"
    with pytest.raises(openai.PermissionDeniedError) as caught:  # the team's list applies
        await ask(gateway, payload["secret"], "gpt-b")
    assert caught.value.code == "model_not_allowed"
    await gateway.runtime.gateway.settler.drain()
    await gateway.runtime.spend_queue.flush()
    async with gateway.runtime.sessions() as session:
        stored = await session.get(VirtualKey, key["id"])
    assert stored is not None and stored.spend == Decimal("0.012")  # 9 + 3 tokens at $0.001
    assert stored.created_by == user_id


async def test_who_may_mint_and_bad_input(gateway: RunningGateway) -> None:
    org = await new_org(gateway)
    team, other_team = await new_team(gateway, org, "mine"), await new_team(gateway, org, "other")
    _, member = await signed_in(
        gateway, orgs={org: OrgRole.ORG_MEMBER}, teams={team: TeamRole.TEAM_DEVELOPER}
    )
    refused = await gql(gateway, MINT, {"t": other_team}, headers=member)
    assert codes(refused) == ["FORBIDDEN"] and refused["data"] is None
    assert codes(await gql(gateway, MINT, {}, headers=member)) == ["FORBIDDEN"]
    for minutes in (0, 61):
        bad = await mint(gateway, member, t=team, m=minutes)
        assert bad["errors"] == [{"field": "minutes", "code": "invalid"}] and bad["secret"] is None
    _, owner = await signed_in(gateway, orgs={org: OrgRole.ORG_OWNER})
    assert (await mint(gateway, owner, t=other_team))["errors"] == []
    admin_id, admin = await signed_in(gateway, platform_role=PlatformRole.PLATFORM_ADMIN)
    anywhere = await mint(gateway, admin)
    assert anywhere["key"]["userId"] == admin_id and anywhere["key"]["teamId"] is None
    master = (await gql(gateway, MINT, {"t": team}))["data"]["createPlaygroundKey"]
    assert master["errors"] == [] and master["key"]["userId"] is None
    assert master["key"]["teamId"] == team
