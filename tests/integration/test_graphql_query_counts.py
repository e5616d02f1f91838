"""N+1 guards: a list of 50 costs the same number of SQL statements as a list of 1."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from app.audit.models import ActorType
from app.auth.principal import Principal
from app.keys.models import VirtualKey
from app.keys.spec import KeySpec
from app.users.models import OrgRole, PlatformRole, TeamRole
from graphql_schema.context import GraphQLContext
from graphql_schema.schema import schema
from tests.support.clock import ticking
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql
from tests.support.tenancy import (
    make_end_user,
    make_member,
    make_org,
    make_team,
    make_team_member,
    make_user,
)

ADMIN = Principal(ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN)


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


# Set only while the measured query runs. Tasks started from it inherit the value, and
# SQLAlchemy runs each statement in the context of the task that awaits it, so background
# work (reloads after a change notice, the invalidation poller) is not counted.
_MEASURED: ContextVar[bool] = ContextVar("measured", default=False)


@contextmanager
def counting(gw: RunningGateway) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _MEASURED.get():
            statements.append(statement)

    engine = gw.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    token = _MEASURED.set(True)
    try:
        yield statements
    finally:
        _MEASURED.reset(token)
        event.remove(engine, "before_cursor_execute", count)


async def statements_for(
    gw: RunningGateway, query: str, variables: dict[str, Any] | None = None
) -> int:
    context = GraphQLContext(runtime=gw.runtime, principal=ADMIN, request_id="count")
    with counting(gw) as statements:
        result = await schema.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    return len(statements)


async def add_orgs(gw: RunningGateway, count: int) -> None:
    for _ in range(count):
        org = await make_org(gw.runtime.sessions)
        team = await make_team(gw.runtime.sessions, org)
        await gw.runtime.keys.create(KeySpec(team_id=team.id))


ORGS = "{ organizations(first: 100) { totalCount edges { node { name teams { name } } } } }"
KEYS = """{ keys(first: 100) { totalCount edges { node { alias team { name }
    organization { name } } } } }"""


KEYS_SORTED = """{ keys(first: 100, sort: SPEND, direction: DESC, status: ACTIVE) { totalCount
    edges { node { alias status team { name } organization { name } } } } }"""
KEY_HYGIENE = """{ keyHygiene(first: 100) { totalCount edges { node { issues
    key { alias team { name } organization { name } } } } } }"""


@pytest.mark.parametrize(
    "query",
    [ORGS, KEYS, KEYS_SORTED, KEY_HYGIENE],
    ids=["organizations.teams", "keys.team.org", "keys.sorted", "keyHygiene.key"],
)
async def test_lists_cost_the_same_for_1_and_50_rows(gateway: RunningGateway, query: str) -> None:
    await add_orgs(gateway, 1)
    one = await statements_for(gateway, query)
    await add_orgs(gateway, 49)
    fifty = await statements_for(gateway, query)
    assert one == fifty
    assert 1 <= one <= 4


END_USERS = "{ endUsers(first: 100) { totalCount edges { node { externalId spend blocked } } } }"


async def test_end_users_cost_the_same_for_1_and_50_rows(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    await make_end_user(sessions, "customer-0")
    one = await statements_for(gateway, END_USERS)
    for n in range(1, 50):
        await make_end_user(sessions, f"customer-{n}")
    fifty = await statements_for(gateway, END_USERS)
    assert one == fifty
    assert 1 <= one <= 2


NEAR_LIMIT = "{ budgetsNearLimit(first: 100) { kind id name spend maxBudget resetAt } }"


async def add_near_limit(gw: RunningGateway, count: int) -> None:
    """``count`` of each kind at 90 % of its budget: an org, its team, a key, a user."""
    sessions, near = gw.runtime.sessions, {"max_budget": Decimal(10), "spend": Decimal(9)}
    for _ in range(count):
        org = await make_org(sessions, **near)
        team = await make_team(sessions, org, **near)
        await make_user(sessions, **near)
        key = await gw.runtime.keys.create(KeySpec(team_id=team.id, max_budget=Decimal(10)))
        async with sessions() as session, session.begin():
            row = await session.get(VirtualKey, key.key.id)
            assert row is not None
            row.spend = Decimal(9)


async def test_budgets_near_limit_cost_one_statement_for_1_and_100_rows(
    gateway: RunningGateway,
) -> None:
    await add_near_limit(gateway, 1)
    one = await statements_for(gateway, NEAR_LIMIT)
    await add_near_limit(gateway, 24)
    hundred = await statements_for(gateway, NEAR_LIMIT)
    body = await gql(gateway, NEAR_LIMIT)
    assert len(body["data"]["budgetsNearLimit"]) == 100
    assert one == hundred == 1


MEMBERS = """query($o: ID!, $t: ID!) {
    orgMembers(orgId: $o, first: 100) { totalCount edges { node { email role } } }
    teamMembers(teamId: $t, first: 100) { totalCount edges { node { email teamRole } } } }"""


async def test_members_cost_the_same_for_1_and_50_rows(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions)
    team = await make_team(sessions, org)

    async def add_members(count: int) -> None:
        for _ in range(count):
            user = await make_user(sessions)
            await make_member(sessions, org.id, user.id, OrgRole.ORG_MEMBER)
            await make_team_member(sessions, team.id, user.id, TeamRole.TEAM_VIEWER)

    variables = {"o": org.id, "t": team.id}
    await add_members(1)
    one = await statements_for(gateway, MEMBERS, variables)
    await add_members(49)
    fifty = await statements_for(gateway, MEMBERS, variables)
    assert one == fifty
    assert 1 <= one <= 7


@pytest.fixture
async def serving(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    params = {"model": "openai/gpt-a", "api_base": fake_openai.base_url}
    model = {"model_name": "gpt-a", "deltallm_params": params}
    async with running_gateway({"model_list": [model]}) as gw:
        gw.runtime.gateway.set_clock(ticking(NOW))
        yield gw


async def add_traffic(gw: RunningGateway, count: int) -> None:
    """``count`` keys in as many organizations, one call each (logs, audit rows, spend)."""
    for _ in range(count):
        org = await make_org(gw.runtime.sessions)
        team = await make_team(gw.runtime.sessions, org)
        created = await gw.runtime.keys.create(KeySpec(team_id=team.id))
        async with gw.client(created.secret) as client:
            await client.chat.completions.create(
                model="gpt-a", messages=[{"role": "user", "content": "Hi"}]
            )
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()


async def add_users(gw: RunningGateway, count: int) -> None:
    for _ in range(count):
        await make_user(gw.runtime.sessions)


async def add_deployments(gw: RunningGateway, count: int) -> None:
    for n in range(count):
        params = {"model": "openai/m", "api_base": "http://127.0.0.1:9/v1", "api_key": f"k{n}"}
        await gw.runtime.deployments.create(ADMIN.actor(), f"db-{uuid.uuid4().hex[:6]}", params)


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
"""When ``serving``'s traffic happens (its clock is pinned): every call lands on TODAY."""
TODAY = NOW.date().isoformat()
FLAT_LISTS = {
    "requestLogs": (
        "{ requestLogs(first: 100) { totalCount edges { node { requestId keyId cost } } } }",
        add_traffic,
    ),
    "auditLog": (
        "{ auditLog(first: 100) { totalCount edges { node { action targetId after } } } }",
        add_traffic,
    ),
    "spendBreakdown": (
        f'{{ spendBreakdown(start: "{TODAY}", end: "{TODAY}", by: KEY, limit: 100)'
        " { label name cost requests } }",
        add_traffic,
    ),
    "requestStats": (
        f'{{ requestStats(start: "{TODAY}T00:00:00Z", end: "{TODAY}T23:59:59Z")'
        " { requests failed errorRate p50LatencyMs cost } }",
        add_traffic,
    ),
    "requestBreakdown": (
        f'{{ requestBreakdown(start: "{TODAY}T00:00:00Z", end: "{TODAY}T23:59:59Z", by: KEY,'
        " limit: 100) { label name cost requests } }",
        add_traffic,
    ),
    "hourlySpend": (
        f'{{ hourlySpend(start: "{TODAY}T00:00:00Z", end: "{TODAY}T23:59:59Z")'
        " { label cost requests } }",
        add_traffic,
    ),
    "users": (
        "{ users(first: 100) { totalCount edges { node { email mfaEnabled } } } }",
        add_users,
    ),
    "modelDeployments": (
        "{ modelDeployments(first: 100) { totalCount edges { node { modelName hasApiKey } } } }",
        add_deployments,
    ),
    "requestLogTail": (
        "{ requestLogTail(first: 100) { cursor logs { requestId keyId cost } } }",
        add_traffic,
    ),
}


@pytest.mark.parametrize("name", list(FLAT_LISTS))
async def test_flat_lists_cost_the_same_for_1_and_50_rows(
    serving: RunningGateway, name: str
) -> None:
    query, add = FLAT_LISTS[name]
    serving.runtime.request_tail.settle = timedelta(0)  # show rows the moment they are written
    await add(serving, 1)
    one = await statements_for(serving, query)
    await add(serving, 49)
    fifty = await statements_for(serving, query)
    assert one == fifty
    assert 1 <= one <= 3


async def test_teams_of_an_org_cost_the_same_for_1_and_50_rows(gateway: RunningGateway) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions)
    query = """query($o: ID!) { teams(orgId: $o, first: 100) { totalCount
        edges { node { name spend maxBudget } } } }"""
    await make_team(sessions, org)
    one = await statements_for(gateway, query, {"o": org.id})
    for _ in range(49):
        await make_team(sessions, org)
    fifty = await statements_for(gateway, query, {"o": org.id})
    assert one == fifty
    assert 1 <= one <= 2


@pytest.mark.parametrize(
    ("field", "connection"),
    [("requestLogs", "RequestLogConnection"), ("auditLog", "AuditEntryConnection")],
)
async def test_logs_are_counted_only_when_totalcount_is_asked_for(
    serving: RunningGateway, field: str, connection: str
) -> None:
    await add_traffic(serving, 3)
    edges = f"{{ {field}(first: 1) {{ edges {{ cursor }} }} }}"
    counted = f"{{ {field}(first: 1) {{ totalCount edges {{ cursor }} }} }}"
    in_fragment = (
        f"{{ {field}(first: 1) {{ ...total edges {{ cursor }} }} }} "
        f"fragment total on {connection} {{ totalCount }}"
    )
    assert await statements_for(serving, counted) == await statements_for(serving, edges) + 1
    assert await statements_for(serving, in_fragment) == await statements_for(serving, counted)
    totals = [(await gql(serving, q))["data"][field]["totalCount"] for q in (counted, in_fragment)]
    assert totals[0] == totals[1]
    assert field != "requestLogs" or totals[0] == 3
