"""The deployment keeps an unblocked platform_admin (POST /graphql on a running gateway).

Demoting or blocking the last unblocked platform_admin is refused with ``last_admin``,
nothing is audited for it, and two admins acting on each other at the same time cannot
both succeed. A deployment without any admin user stays usable through the master key.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from app.audit.models import AuditLog
from app.users.models import PlatformRole, User
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, signed_in
from tests.support.tenancy import make_user

ADMIN = PlatformRole.PLATFORM_ADMIN
SET_ROLE = """mutation($u: ID!, $r: PlatformRole!) { setUserRole(userId: $u, role: $r) {
    user { id platformRole } errors { field code } } }"""
SET_BLOCKED = """mutation($u: ID!, $b: Boolean!) { setUserBlocked(userId: $u, blocked: $b) {
    user { id blocked } errors { field code } } }"""
CREATE_USER = """mutation($e: String!, $r: PlatformRole!) { createUser(email: $e, role: $r) {
    user { id platformRole } errors { code } } }"""
REFUSED = {"user": None, "errors": [{"field": "userId", "code": "last_admin"}]}


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


async def demote(
    gw: RunningGateway, user_id: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return await gql(gw, SET_ROLE, {"u": user_id, "r": "ORG_USER"}, headers=headers)


async def block(
    gw: RunningGateway, user_id: str, blocked: bool = True, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return await gql(gw, SET_BLOCKED, {"u": user_id, "b": blocked}, headers=headers)


def blocked_now(body: dict[str, Any]) -> bool:
    payload = body["data"]["setUserBlocked"]
    assert payload["errors"] == [], payload
    state: bool = payload["user"]["blocked"]
    return state


async def row(gw: RunningGateway, user_id: str) -> User:
    async with gw.runtime.sessions() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


async def actions(gw: RunningGateway, user_id: str) -> list[str]:
    query = select(AuditLog.action).where(
        AuditLog.target_type == "user", AuditLog.target_id == user_id
    )
    async with gw.runtime.sessions() as session:
        return list((await session.exec(query.order_by(col(AuditLog.created_at)))).all())


async def admins(gw: RunningGateway) -> list[str]:
    query = select(User.id).where(User.platform_role == ADMIN, col(User.blocked).is_(False))
    async with gw.runtime.sessions() as session:
        return list((await session.exec(query)).all())


async def test_the_only_admin_is_neither_demoted_nor_blocked(gateway: RunningGateway) -> None:
    only = (await make_user(gateway.runtime.sessions, platform_role=ADMIN)).id

    for role in ("ORG_USER", "PLATFORM_CO_ADMIN"):
        refused = await gql(gateway, SET_ROLE, {"u": only, "r": role})
        assert refused["data"]["setUserRole"] == REFUSED
    assert (await block(gateway, only))["data"]["setUserBlocked"] == REFUSED

    user = await row(gateway, only)
    assert (user.platform_role, user.blocked) == (ADMIN, False)
    assert await actions(gateway, only) == []


async def test_with_two_admins_one_may_go_but_not_the_other(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    first = (await make_user(sessions, platform_role=ADMIN)).id
    second = (await make_user(sessions, platform_role=ADMIN)).id

    demoted = await demote(gateway, first)
    assert demoted["data"]["setUserRole"] == {
        "user": {"id": first, "platformRole": "ORG_USER"},
        "errors": [],
    }
    assert (await demote(gateway, second))["data"]["setUserRole"] == REFUSED
    assert (await block(gateway, second))["data"]["setUserBlocked"] == REFUSED
    assert await admins(gateway) == [second]
    assert await actions(gateway, first) == ["user.set_role"]
    assert await actions(gateway, second) == []


async def test_a_blocked_admin_does_not_count(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    active = (await make_user(sessions, platform_role=ADMIN)).id
    dormant = (await make_user(sessions, platform_role=ADMIN, blocked=True)).id

    assert (await block(gateway, active))["data"]["setUserBlocked"] == REFUSED
    assert (await demote(gateway, active))["data"]["setUserRole"] == REFUSED
    # Unblocking brings a second admin back: then the first may go.
    assert blocked_now(await block(gateway, dormant, False)) is False
    assert blocked_now(await block(gateway, active)) is True
    assert await admins(gateway) == [dormant]


async def test_promoting_and_unblocking_are_always_fine(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    dormant = (await make_user(sessions, platform_role=ADMIN, blocked=True)).id
    user = (await make_user(sessions)).id

    # With no unblocked admin the rule has nothing to keep: a blocked admin may change.
    assert (await demote(gateway, dormant))["data"]["setUserRole"]["errors"] == []
    promoted = await gql(gateway, SET_ROLE, {"u": dormant, "r": "PLATFORM_ADMIN"})
    assert promoted["data"]["setUserRole"]["errors"] == []
    assert blocked_now(await block(gateway, dormant, False)) is False
    raised = await gql(gateway, SET_ROLE, {"u": user, "r": "PLATFORM_ADMIN"})
    assert raised["data"]["setUserRole"]["user"]["platformRole"] == "PLATFORM_ADMIN"
    assert sorted(await admins(gateway)) == sorted([dormant, user])


async def test_a_deployment_without_admin_users_stays_usable(gateway: RunningGateway) -> None:
    assert await admins(gateway) == []
    made = []
    for email, role in (("user@example.com", "ORG_USER"), ("co@example.com", "PLATFORM_CO_ADMIN")):
        body = await gql(gateway, CREATE_USER, {"e": email, "r": role})
        assert body["data"]["createUser"]["errors"] == []
        made.append(body["data"]["createUser"]["user"]["id"])
    for user_id in made:
        assert blocked_now(await block(gateway, user_id)) is True
    co = made[1]
    assert (await demote(gateway, co))["data"]["setUserRole"]["errors"] == []
    assert await actions(gateway, co) == ["user.create", "user.block", "user.set_role"]


def outcome(body: dict[str, Any], field: str) -> str:
    """``ok``, ``last_admin`` or the GraphQL error code of one of the racing changes."""
    if body.get("errors"):
        return codes(body)[0]
    payload = body["data"][field]
    if payload["errors"]:
        code: str = payload["errors"][0]["code"]
        return code
    return "ok"


@pytest.mark.parametrize(
    ("document", "field", "variables"),
    [
        (SET_ROLE, "setUserRole", {"r": "ORG_USER"}),
        (SET_BLOCKED, "setUserBlocked", {"b": True}),
    ],
    ids=["demote", "block"],
)
async def test_two_admins_acting_on_each_other_at_once(
    gateway: RunningGateway, document: str, field: str, variables: dict[str, Any]
) -> None:
    survivor, survivor_headers = await signed_in(gateway, platform_role=ADMIN)
    for _ in range(3):
        peer, peer_headers = await signed_in(gateway, platform_role=ADMIN)
        bodies = await asyncio.gather(
            gql(gateway, document, {**variables, "u": peer}, headers=survivor_headers),
            gql(gateway, document, {**variables, "u": survivor}, headers=peer_headers),
        )
        results = [outcome(body, field) for body in bodies]
        # The loser is refused by the rule, or was already demoted (FORBIDDEN) or blocked
        # (UNAUTHENTICATED) when its request arrived.
        assert results.count("ok") == 1, bodies
        [lost] = [r for r in results if r != "ok"]
        assert lost in ("last_admin", "FORBIDDEN", "UNAUTHENTICATED"), bodies
        [left] = await admins(gateway)
        assert left in (survivor, peer)
        if left == peer:
            survivor, survivor_headers = peer, peer_headers


async def test_the_master_key_racing_against_itself(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    for _ in range(3):
        pair = [(await make_user(sessions, platform_role=ADMIN)).id for _ in range(2)]
        bodies = await asyncio.gather(demote(gateway, pair[0]), block(gateway, pair[1]))
        results = {outcome(bodies[0], "setUserRole"), outcome(bodies[1], "setUserBlocked")}
        assert results == {"last_admin", "ok"}, bodies
        assert len(await admins(gateway)) == 1
        async with sessions() as session, session.begin():
            for user in (await session.exec(select(User).where(User.platform_role == ADMIN))).all():
                user.platform_role = PlatformRole.ORG_USER


async def test_blocking_twice_changes_and_audits_once(gateway: RunningGateway) -> None:
    user = (await make_user(gateway.runtime.sessions)).id
    for _ in range(2):
        assert blocked_now(await block(gateway, user)) is True
    for _ in range(2):
        assert blocked_now(await block(gateway, user, False)) is False
    assert sorted(await actions(gateway, user)) == ["user.block", "user.unblock"]


async def test_account_changes_to_an_unknown_user_are_payload_errors(
    gateway: RunningGateway,
) -> None:
    for body, field in (
        (await block(gateway, "no-such-user"), "setUserBlocked"),
        (await demote(gateway, "no-such-user"), "setUserRole"),
    ):
        payload = body["data"][field]
        assert payload["user"] is None
        [error] = payload["errors"]
        assert (error["field"], error["code"]) == ("userId", "user_not_found")
