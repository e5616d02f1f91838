"""keyHygiene, blockKeys and revokeKeys over POST /graphql, as users of different roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import openai
import pytest
from sqlmodel import col, select

from app.audit.models import AuditLog
from app.keys.models import VirtualKey
from app.keys.spec import KeySpec
from app.orgs.models import Team
from app.users.models import OrgRole, TeamRole, User
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, new_team, signed_in

# Noon of today (UTC): a "1d" budget period is exactly half over, whatever the hour.
NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
DAY = timedelta(days=1)

HYGIENE = """query($f: Int! = 50, $a: String, $i: [KeyIssue!], $o: ID) {
  keyHygiene(first: $f, after: $a, issues: $i, orgId: $o) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { key { id alias } issues lastActiveAt blockedOwners projectedSpend
      exhaustsAt } } } }"""
BLOCK = """mutation($k: [ID!]!, $r: String!) { blockKeys(keyIds: $k, reason: $r) {
  keys { id blocked revoked } errors { keyId field code message } } }"""
REVOKE = """mutation($k: [ID!]!, $r: String!) { revokeKeys(keyIds: $k, reason: $r) {
  keys { id blocked revoked } errors { keyId field code message } } }"""


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    config = {"model_list": [{"model_name": "echo", "deltallm_params": {"model": "demo/echo"}}]}
    async with running_gateway(config) as gw:
        gw.runtime.key_hygiene.clock = lambda: NOW
        yield gw


async def make_key(gw: RunningGateway, alias: str, team_id: str | None, **state: Any) -> str:
    """A key created through the service, then given ``state`` (columns) directly."""
    fields = {"models": ["echo"], "expires_at": NOW + 10 * DAY, "last_used_at": NOW - DAY}
    fields |= {"created_at": NOW - 60 * DAY} | state
    spec_fields = {k: fields.pop(k) for k in ("models", "max_budget") if k in fields}
    key = (await gw.runtime.keys.create(KeySpec(alias=alias, team_id=team_id, **spec_fields))).key
    async with gw.runtime.sessions() as session, session.begin():
        row = await session.get(VirtualKey, key.id)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)
    return key.id


def found(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert "errors" not in body, body
    edges = body["data"]["keyHygiene"]["edges"]
    return {e["node"]["key"]["alias"]: e["node"] for e in edges}


async def world(gw: RunningGateway) -> tuple[str, str, str]:
    """Org A (teams "open" and "narrow") and org B, with keys of every kind."""
    org_a, org_b = await new_org(gw, "A"), await new_org(gw, "B")
    open_team, narrow = await new_team(gw, org_a, "open"), await new_team(gw, org_a, "narrow")
    other_team = await new_team(gw, org_b, "b")
    async with gw.runtime.sessions() as session, session.begin():
        row = await session.get(Team, narrow)
        assert row is not None
        row.models = ["echo"]
        blocked = User(email="gone@example.com", blocked=True)
        session.add(blocked)
    await make_key(gw, "idle", open_team, last_used_at=NOW - 31 * DAY)
    await make_key(gw, "recent", open_team, last_used_at=NOW - 29 * DAY)
    await make_key(gw, "never-used", open_team, last_used_at=None, created_at=NOW - 40 * DAY)
    await make_key(gw, "new-unused", open_team, last_used_at=None, created_at=NOW - 2 * DAY)
    await make_key(gw, "no-expiry", open_team, expires_at=None)
    await make_key(gw, "every-model", open_team, models=[])
    await make_key(gw, "wildcard", open_team, models=["*"])
    await make_key(gw, "narrowed", narrow, models=[])
    await make_key(gw, "owner-blocked", open_team, user_id=blocked.id)
    burn = {"max_budget": Decimal(1), "budget_duration": "1d", "budget_reset_at": NOW + DAY / 2}
    await make_key(gw, "burning", open_team, spend=Decimal("0.6"), **burn)
    await make_key(gw, "steady", open_team, spend=Decimal("0.4"), **burn)
    await make_key(
        gw,
        "last-period",
        open_team,
        spend=Decimal("0.9"),
        **burn | {"budget_reset_at": NOW - DAY / 2},
    )
    await make_key(gw, "revoked", open_team, expires_at=None, revoked_at=NOW - DAY)
    await make_key(gw, "expired", open_team, models=[], expires_at=NOW - DAY)
    await make_key(gw, "other-org", other_team, expires_at=None)
    return org_a, org_b, open_team


async def test_flags_each_kind_of_problem_and_nothing_else(gateway: RunningGateway) -> None:
    _, org_b, _ = await world(gateway)
    flagged = found(await gql(gateway, HYGIENE))
    assert {alias: node["issues"] for alias, node in flagged.items()} == {
        "idle": ["IDLE"],
        "never-used": ["IDLE"],
        "no-expiry": ["NO_EXPIRY"],
        "every-model": ["ALL_MODELS"],
        "wildcard": ["ALL_MODELS"],
        "owner-blocked": ["OWNER_BLOCKED"],
        "burning": ["BUDGET_BURN"],
        "other-org": ["NO_EXPIRY"],
    }
    assert flagged["idle"]["lastActiveAt"] == (NOW - 31 * DAY).isoformat()
    assert flagged["never-used"]["lastActiveAt"] == (NOW - 40 * DAY).isoformat()
    assert flagged["owner-blocked"]["blockedOwners"] == ["user"]
    # $0.6 in half a day: $1.2 by the reset, and the $1 budget is gone at 20:00.
    assert flagged["burning"]["projectedSpend"] == "1.2"
    assert flagged["burning"]["exhaustsAt"] == (NOW + timedelta(hours=8)).isoformat()
    assert flagged["idle"]["projectedSpend"] is None

    only = found(await gql(gateway, HYGIENE, {"i": ["BUDGET_BURN", "OWNER_BLOCKED"]}))
    assert sorted(only) == ["burning", "owner-blocked"]
    in_b = found(await gql(gateway, HYGIENE, {"o": org_b}))
    assert list(in_b) == ["other-org"]


async def test_pages_cover_every_flagged_key_once(gateway: RunningGateway) -> None:
    await world(gateway)
    whole = await gql(gateway, HYGIENE)
    assert whole["data"]["keyHygiene"]["totalCount"] == 8
    seen: list[str] = []
    after = None
    while True:
        body = await gql(gateway, HYGIENE, {"f": 3, "a": after})
        page = body["data"]["keyHygiene"]
        assert page["totalCount"] == 8
        seen += [e["node"]["key"]["alias"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [e["node"]["key"]["alias"] for e in whole["data"]["keyHygiene"]["edges"]]
    assert len(seen) == 8


async def test_scoped_to_the_organizations_the_caller_sees(gateway: RunningGateway) -> None:
    org_a, _, _ = await world(gateway)
    _, member = await signed_in(gateway, orgs={org_a: OrgRole.ORG_MEMBER})
    mine = found(await gql(gateway, HYGIENE, headers=member))
    assert "other-org" not in mine and "burning" in mine and len(mine) == 7
    _, stranger = await signed_in(gateway)
    assert found(await gql(gateway, HYGIENE, headers=stranger)) == {}
    bad = await gql(gateway, HYGIENE, {"f": 0})
    assert codes(bad) == ["BAD_USER_INPUT"]


async def audit_reasons(gw: RunningGateway, key_ids: list[str]) -> dict[str, list[Any]]:
    async with gw.runtime.sessions() as session:
        query = select(AuditLog).where(col(AuditLog.target_id).in_(key_ids))
        rows = (await session.exec(query)).all()
    reasons: dict[str, list[Any]] = {}
    for row in rows:
        if row.reason is not None:
            reasons.setdefault(row.target_id or "", []).append((row.action, row.reason))
    return reasons


async def test_block_keys_with_a_reason_and_per_key_errors(gateway: RunningGateway) -> None:
    org_a = await new_org(gateway, "A")
    team = await new_team(gateway, org_a)
    admin_id, admin = await signed_in(gateway, orgs={org_a: OrgRole.ORG_ADMIN})
    one = await gateway.runtime.keys.create(KeySpec(team_id=team, alias="one"))
    two = (await gateway.runtime.keys.create(KeySpec(team_id=team))).key.id
    gone = (await gateway.runtime.keys.create(KeySpec(team_id=team))).key.id
    await gateway.runtime.keys.revoke(gone)
    ids = [one.key.id, two, "no-such-key", gone, two]
    body = await gql(gateway, BLOCK, {"k": ids, "r": "  leaked in a CI log  "}, headers=admin)
    payload = body["data"]["blockKeys"]
    assert [(k["id"], k["blocked"]) for k in payload["keys"]] == [(one.key.id, True), (two, True)]
    assert [(e["keyId"], e["code"]) for e in payload["errors"]] == [
        ("no-such-key", "key_not_found"),
        (gone, "key_revoked"),
    ]
    reasons = await audit_reasons(gateway, [one.key.id, two, gone])
    assert reasons == {
        one.key.id: [("key.block", "leaked in a CI log")],
        two: [("key.block", "leaked in a CI log")],
    }
    async with gateway.runtime.sessions() as session:
        actors = (
            await session.exec(select(AuditLog.actor_id).where(col(AuditLog.reason).is_not(None)))
        ).all()
    assert set(actors) == {admin_id}
    log = await gql(
        gateway, '{ auditLog(first: 10, action: "key.block") { edges { node { reason } } } }'
    )
    assert [e["node"]["reason"] for e in log["data"]["auditLog"]["edges"]] == [
        "leaked in a CI log"
    ] * 2
    async with gateway.client(one.secret) as client:  # a blocked key is refused at once
        with pytest.raises(openai.PermissionDeniedError) as caught:
            await client.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "hi"}]
            )
    assert caught.value.code == "key_blocked"

    again = await gql(gateway, BLOCK, {"k": [two], "r": "again"}, headers=admin)
    assert again["data"]["blockKeys"] == {
        "keys": [{"id": two, "blocked": True, "revoked": False}],
        "errors": [],
    }
    assert (await audit_reasons(gateway, [two]))[two] == [("key.block", "leaked in a CI log")]
    for bad, field in (({"k": [two], "r": " "}, "reason"), ({"k": [], "r": "x"}, "keyIds")):
        refused = (await gql(gateway, BLOCK, bad, headers=admin))["data"]["blockKeys"]
        assert refused["errors"] == [
            {
                "keyId": None,
                "field": field,
                "code": "invalid",
                "message": refused["errors"][0]["message"],
            }
        ]


async def test_bulk_changes_are_all_or_nothing_on_permission(gateway: RunningGateway) -> None:
    org_a, org_b = await new_org(gateway, "A"), await new_org(gateway, "B")
    team_a, team_b = await new_team(gateway, org_a), await new_team(gateway, org_b)
    _, admin = await signed_in(gateway, orgs={org_a: OrgRole.ORG_ADMIN})
    dev_id, developer = await signed_in(
        gateway, orgs={org_a: OrgRole.ORG_MEMBER}, teams={team_a: TeamRole.TEAM_DEVELOPER}
    )
    mine = (await gateway.runtime.keys.create(KeySpec(team_id=team_a, user_id=dev_id))).key.id
    theirs = (await gateway.runtime.keys.create(KeySpec(team_id=team_a))).key.id
    elsewhere = (await gateway.runtime.keys.create(KeySpec(team_id=team_b))).key.id

    across = await gql(gateway, REVOKE, {"k": [theirs, elsewhere], "r": "audit"}, headers=admin)
    assert codes(across) == ["FORBIDDEN"] and across["data"] is None
    not_own = await gql(gateway, REVOKE, {"k": [mine, theirs], "r": "x"}, headers=developer)
    assert codes(not_own) == ["FORBIDDEN"]
    cannot_block = await gql(gateway, BLOCK, {"k": [mine], "r": "x"}, headers=developer)
    assert codes(cannot_block) == ["FORBIDDEN"]
    async with gateway.runtime.sessions() as session:
        rows = (await session.exec(select(VirtualKey))).all()
    assert all(not r.blocked and r.revoked_at is None for r in rows)
    assert await audit_reasons(gateway, [mine, theirs, elsewhere]) == {}

    own = await gql(gateway, REVOKE, {"k": [mine], "r": "rotating"}, headers=developer)
    assert own["data"]["revokeKeys"]["keys"] == [{"id": mine, "blocked": False, "revoked": True}]
    assert (await audit_reasons(gateway, [mine]))[mine] == [("key.revoke", "rotating")]
