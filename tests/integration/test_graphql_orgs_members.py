"""Memberships over POST /graphql: listing, removing, rank rules, the last owner, audit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from sqlmodel import col, select

from app.audit.models import AuditLog
from app.keys.spec import KeySpec
from app.users.models import OrgRole, TeamRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, new_team, signed_in
from tests.support.tenancy import make_member, make_team_member, make_user


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


SET_ORG = """mutation($o: ID!, $u: ID!, $r: OrgRole!) { setOrgMember(orgId: $o, userId: $u,
    role: $r) { membership { role } errors { field code } } }"""
REMOVE_ORG = """mutation($o: ID!, $u: ID!) { removeOrgMember(orgId: $o, userId: $u)
    { removed errors { field code } } }"""
SET_TEAM = """mutation($t: ID!, $u: ID!, $r: TeamRole!) { setTeamMember(teamId: $t, userId: $u,
    role: $r) { membership { role } errors { field code } } }"""
REMOVE_TEAM = """mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u)
    { removed errors { field code } } }"""
ORG_MEMBERS = """query($o: ID!) { orgMembers(orgId: $o) { totalCount
    edges { node { userId email role teamRole } } } }"""
TEAM_MEMBERS = """query($t: ID!) { teamMembers(teamId: $t) { totalCount
    edges { node { userId role teamRole } } } }"""

REMOVED = {"removed": True, "errors": []}


def last_owner(field: str = "userId") -> dict[str, Any]:
    return {"field": field, "code": "last_owner"}


async def member_ids(gw: RunningGateway, query: str, key: str, scope: str) -> set[str]:
    body = await gql(gw, query, {key: scope})
    name = "orgMembers" if key == "o" else "teamMembers"
    return {e["node"]["userId"] for e in body["data"][name]["edges"]}


async def test_members_are_listed_with_their_roles(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)
    team_id = await new_team(gateway, org_id)
    alice, alice_headers = await signed_in(
        gateway, orgs={org_id: OrgRole.ORG_ADMIN}, teams={team_id: TeamRole.TEAM_VIEWER}
    )
    bob = await make_user(gateway.runtime.sessions, display_name="Bob")
    await gql(gateway, SET_ORG, {"o": org_id, "u": bob.id, "r": "ORG_BILLING"})
    listed = await gql(gateway, ORG_MEMBERS, {"o": org_id}, headers=alice_headers)
    nodes = [e["node"] for e in listed["data"]["orgMembers"]["edges"]]
    assert listed["data"]["orgMembers"]["totalCount"] == 2
    assert nodes[1] == {
        "userId": bob.id,
        "email": bob.email,
        "role": "ORG_BILLING",
        "teamRole": None,
    }
    assert (nodes[0]["userId"], nodes[0]["role"]) == (alice, "ORG_ADMIN")
    team = await gql(gateway, TEAM_MEMBERS, {"t": team_id}, headers=alice_headers)
    assert [e["node"] for e in team["data"]["teamMembers"]["edges"]] == [
        {"userId": alice, "role": None, "teamRole": "TEAM_VIEWER"}
    ]
    _, outsider = await signed_in(gateway)
    assert codes(await gql(gateway, ORG_MEMBERS, {"o": org_id}, headers=outsider)) == ["FORBIDDEN"]
    assert codes(await gql(gateway, TEAM_MEMBERS, {"t": team_id}, headers=outsider)) == [
        "FORBIDDEN"
    ]


async def test_removing_from_an_org_removes_from_its_teams(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org_id, other_org = await new_org(gateway, "Acme"), await new_org(gateway, "Globex")
    teams = [await new_team(gateway, org_id, name) for name in ("a", "b")]
    elsewhere = await new_team(gateway, other_org, "c")
    user_id, headers = await signed_in(
        gateway,
        orgs={org_id: OrgRole.ORG_MEMBER, other_org: OrgRole.ORG_MEMBER},
        teams={teams[0]: TeamRole.TEAM_DEVELOPER, teams[1]: TeamRole.TEAM_VIEWER},
    )
    await make_team_member(sessions, elsewhere, user_id, TeamRole.TEAM_ADMIN)
    _, admin = await signed_in(gateway, orgs={org_id: OrgRole.ORG_ADMIN})

    body = await gql(gateway, REMOVE_ORG, {"o": org_id, "u": user_id}, headers=admin)
    assert body["data"]["removeOrgMember"] == REMOVED
    for team_id in teams:
        assert user_id not in await member_ids(gateway, TEAM_MEMBERS, "t", team_id)
    assert user_id in await member_ids(gateway, TEAM_MEMBERS, "t", elsewhere)
    assert user_id not in await member_ids(gateway, ORG_MEMBERS, "o", org_id)
    seen = await gql(gateway, "{ organizations { edges { node { id } } } }", headers=headers)
    assert [e["node"]["id"] for e in seen["data"]["organizations"]["edges"]] == [other_org]

    async with sessions() as session:
        query = select(AuditLog).where(col(AuditLog.action).like("%.remove"))
        rows = (await session.exec(query)).all()
    assert sorted(r.action for r in rows) == [
        "org_membership.remove",
        "team_membership.remove",
        "team_membership.remove",
    ]
    assert {r.org_id for r in rows} == {org_id}
    assert all(r.before is not None and r.before["user_id"] == user_id for r in rows)
    again = await gql(gateway, REMOVE_ORG, {"o": org_id, "u": user_id}, headers=admin)
    assert again["data"]["removeOrgMember"] == {
        "removed": False,
        "errors": [{"field": "userId", "code": "not_a_member"}],
    }


async def test_an_org_admin_cannot_touch_an_owner(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org_id = await new_org(gateway)
    owners = [await make_user(sessions) for _ in range(2)]
    for owner in owners:
        await make_member(sessions, org_id, owner.id, OrgRole.ORG_OWNER)
    peer = await make_user(sessions)
    await make_member(sessions, org_id, peer.id, OrgRole.ORG_ADMIN)
    _, admin = await signed_in(gateway, orgs={org_id: OrgRole.ORG_ADMIN})

    target = {"o": org_id, "u": owners[0].id}
    assert codes(await gql(gateway, REMOVE_ORG, target, headers=admin)) == ["FORBIDDEN"]
    demote = {**target, "r": "ORG_MEMBER"}
    assert codes(await gql(gateway, SET_ORG, demote, headers=admin)) == ["FORBIDDEN"]
    assert owners[0].id in await member_ids(gateway, ORG_MEMBERS, "o", org_id)
    peer_demoted = await gql(
        gateway, SET_ORG, {"o": org_id, "u": peer.id, "r": "ORG_AUDITOR"}, headers=admin
    )
    assert peer_demoted["data"]["setOrgMember"]["membership"] == {"role": "ORG_AUDITOR"}
    peer_removed = await gql(gateway, REMOVE_ORG, {"o": org_id, "u": peer.id}, headers=admin)
    assert peer_removed["data"]["removeOrgMember"] == REMOVED
    _, owner = await signed_in(gateway, orgs={org_id: OrgRole.ORG_OWNER})
    by_owner = await gql(gateway, REMOVE_ORG, target, headers=owner)
    assert by_owner["data"]["removeOrgMember"] == REMOVED


async def test_the_last_owner_stays(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)
    owner_id, owner = await signed_in(gateway, orgs={org_id: OrgRole.ORG_OWNER})
    target = {"o": org_id, "u": owner_id}
    for headers in (owner, None):  # the owner themselves, then a platform admin
        removed = await gql(gateway, REMOVE_ORG, target, headers=headers)
        assert removed["data"]["removeOrgMember"] == {"removed": False, "errors": [last_owner()]}
        demoted = await gql(gateway, SET_ORG, {**target, "r": "ORG_ADMIN"}, headers=headers)
        assert demoted["data"]["setOrgMember"] == {"membership": None, "errors": [last_owner()]}
    # An owner hands over to someone already in the organization (strangers: no).
    successor = await make_user(gateway.runtime.sessions)
    await make_member(gateway.runtime.sessions, org_id, successor.id, OrgRole.ORG_MEMBER)
    promoted = await gql(
        gateway, SET_ORG, {"o": org_id, "u": successor.id, "r": "ORG_OWNER"}, headers=owner
    )
    assert promoted["data"]["setOrgMember"]["membership"] == {"role": "ORG_OWNER"}
    stepped_down = await gql(gateway, SET_ORG, {**target, "r": "ORG_ADMIN"}, headers=owner)
    assert stepped_down["data"]["setOrgMember"]["membership"] == {"role": "ORG_ADMIN"}
    successor_target = {"o": org_id, "u": successor.id}
    alone = await gql(gateway, REMOVE_ORG, successor_target)
    assert alone["data"]["removeOrgMember"]["errors"] == [last_owner()]


async def test_two_owners_leaving_at_once_leave_one_behind(gateway: RunningGateway) -> None:
    """The last-owner rule holds when both changes run at the same time (each reads the
    owner count before the other writes, unless the organization is locked first)."""
    for round_ in range(3):
        org_id = await new_org(gateway, f"Acme {round_}")
        first = await make_user(gateway.runtime.sessions)
        second = await make_user(gateway.runtime.sessions)
        for user in (first, second):
            await gql(gateway, SET_ORG, {"o": org_id, "u": user.id, "r": "ORG_OWNER"})
        removed, demoted = await asyncio.gather(
            gql(gateway, REMOVE_ORG, {"o": org_id, "u": first.id}),
            gql(gateway, SET_ORG, {"o": org_id, "u": second.id, "r": "ORG_MEMBER"}),
        )
        assert "errors" not in removed and "errors" not in demoted, (removed, demoted)
        outcomes = [
            removed["data"]["removeOrgMember"]["errors"],
            demoted["data"]["setOrgMember"]["errors"],
        ]
        assert sorted(outcomes, key=len) == [[], [last_owner()]]
        listed = await gql(gateway, ORG_MEMBERS, {"o": org_id})
        roles = [e["node"]["role"] for e in listed["data"]["orgMembers"]["edges"]]
        assert roles.count("ORG_OWNER") == 1


async def test_team_admins_manage_their_team_members(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org_id = await new_org(gateway)
    team_id, other_team = await new_team(gateway, org_id, "a"), await new_team(gateway, org_id, "b")
    _, team_admin = await signed_in(
        gateway, orgs={org_id: OrgRole.ORG_MEMBER}, teams={team_id: TeamRole.TEAM_ADMIN}
    )
    colleague = await make_user(sessions)
    await make_member(sessions, org_id, colleague.id, OrgRole.ORG_MEMBER)
    vars_ = {"t": team_id, "u": colleague.id}
    for role in ("TEAM_VIEWER", "TEAM_ADMIN", "TEAM_DEVELOPER"):
        body = await gql(gateway, SET_TEAM, {**vars_, "r": role}, headers=team_admin)
        assert body["data"]["setTeamMember"] == {"membership": {"role": role}, "errors": []}
    other = {"t": other_team, "u": colleague.id, "r": "TEAM_VIEWER"}
    assert codes(await gql(gateway, SET_TEAM, other, headers=team_admin)) == ["FORBIDDEN"]
    removed = await gql(gateway, REMOVE_TEAM, vars_, headers=team_admin)
    assert removed["data"]["removeTeamMember"] == REMOVED
    gone = await gql(gateway, REMOVE_TEAM, vars_, headers=team_admin)
    assert gone["data"]["removeTeamMember"] == {
        "removed": False,
        "errors": [{"field": "userId", "code": "not_a_member"}],
    }

    owner = await make_user(sessions)
    await make_member(sessions, org_id, owner.id, OrgRole.ORG_OWNER)
    await make_team_member(sessions, team_id, owner.id, TeamRole.TEAM_VIEWER)
    above = {"t": team_id, "u": owner.id}
    assert codes(await gql(gateway, REMOVE_TEAM, above, headers=team_admin)) == ["FORBIDDEN"]
    changed = {**above, "r": "TEAM_DEVELOPER"}
    assert codes(await gql(gateway, SET_TEAM, changed, headers=team_admin)) == ["FORBIDDEN"]

    for role in (TeamRole.TEAM_DEVELOPER, TeamRole.TEAM_VIEWER):
        _, headers = await signed_in(
            gateway, orgs={org_id: OrgRole.ORG_MEMBER}, teams={team_id: role}
        )
        refused = await gql(gateway, SET_TEAM, {**vars_, "r": "TEAM_VIEWER"}, headers=headers)
        assert codes(refused) == ["FORBIDDEN"], role
        assert codes(await gql(gateway, REMOVE_TEAM, above, headers=headers)) == ["FORBIDDEN"]


async def test_unknown_users_are_payload_errors(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)
    team_id = await new_team(gateway, org_id)
    body = await gql(gateway, SET_TEAM, {"t": team_id, "u": "nobody", "r": "TEAM_VIEWER"})
    assert body["data"]["setTeamMember"]["errors"] == [{"field": "userId", "code": "unknown_user"}]
    missing = await gql(gateway, REMOVE_TEAM, {"t": "no-such-team", "u": "nobody"})
    assert codes(missing) == ["NOT_FOUND"]


async def test_removing_from_an_org_blocks_the_keys_owned_there(gateway: RunningGateway) -> None:
    org_id, other_org = await new_org(gateway, "Acme"), await new_org(gateway, "Globex")
    team_id, other_team = await new_team(gateway, org_id), await new_team(gateway, other_org)
    user_id, _ = await signed_in(
        gateway, orgs={org_id: OrgRole.ORG_MEMBER, other_org: OrgRole.ORG_MEMBER}
    )
    keys = gateway.runtime.keys
    here = await keys.create(KeySpec(team_id=team_id, user_id=user_id))
    there = await keys.create(KeySpec(team_id=other_team, user_id=user_id))
    async with gateway.client(here.secret) as client:
        assert (await client.models.list()).data == []  # cached as usable

        body = await gql(gateway, REMOVE_ORG, {"o": org_id, "u": user_id})
        assert body["data"]["removeOrgMember"] == REMOVED
        with pytest.raises(openai.PermissionDeniedError) as caught:
            await client.models.list()
        assert caught.value.code == "key_blocked"
    async with gateway.client(there.secret) as client:
        assert (await client.models.list()).data == []
    async with gateway.runtime.sessions() as session:
        query = select(AuditLog).where(AuditLog.action == "key.block")
        rows = (await session.exec(query)).all()
    assert [(r.target_id, r.org_id) for r in rows] == [(here.key.id, org_id)]


async def test_org_admins_add_only_people_who_share_one_of_their_orgs(
    gateway: RunningGateway,
) -> None:
    """An org admin cannot pull a user of another organization in (and then read their
    e-mail); someone who shares another of the admin's organizations can be added."""
    sessions = gateway.runtime.sessions
    mine, theirs, shared = [await new_org(gateway, name) for name in ("Mine", "Theirs", "Ours")]
    stranger = await make_user(sessions)
    await make_member(sessions, theirs, stranger.id, OrgRole.ORG_MEMBER)
    colleague = await make_user(sessions)
    await make_member(sessions, shared, colleague.id, OrgRole.ORG_MEMBER)
    _, admin = await signed_in(gateway, orgs={mine: OrgRole.ORG_ADMIN, shared: OrgRole.ORG_MEMBER})
    refused = {
        "membership": None,
        "errors": [{"field": "userId", "code": "not_in_your_organizations"}],
    }
    audits = len(await _audit_actions(gateway))
    for user_id in (stranger.id, "no-such-user"):  # the same answer: ids cannot be probed
        body = await gql(
            gateway, SET_ORG, {"o": mine, "u": user_id, "r": "ORG_MEMBER"}, headers=admin
        )
        assert body["data"]["setOrgMember"] == refused, user_id
    assert len(await _audit_actions(gateway)) == audits
    listed = await gql(gateway, ORG_MEMBERS, {"o": mine}, headers=admin)
    assert stranger.email not in str(listed)

    added = await gql(
        gateway, SET_ORG, {"o": mine, "u": colleague.id, "r": "ORG_MEMBER"}, headers=admin
    )
    assert added["data"]["setOrgMember"] == {"membership": {"role": "ORG_MEMBER"}, "errors": []}
    by_platform_admin = await gql(
        gateway, SET_ORG, {"o": mine, "u": stranger.id, "r": "ORG_MEMBER"}
    )
    assert by_platform_admin["data"]["setOrgMember"]["errors"] == []
    assert await member_ids(gateway, ORG_MEMBERS, "o", mine) >= {colleague.id, stranger.id}
    assert (await _audit_actions(gateway))[-2:] == ["org_membership.set", "org_membership.set"]


async def _audit_actions(gw: RunningGateway) -> list[str]:
    async with gw.runtime.sessions() as session:
        query = select(AuditLog.action).order_by(col(AuditLog.created_at), col(AuditLog.id))
        return list((await session.exec(query)).all())
