"""N+1 guards: a list of 50 costs the same number of SQL statements as a list of 1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from app.audit.models import ActorType
from app.auth.principal import Principal
from app.keys.service import KeySpec
from app.users.models import PlatformRole
from graphql_schema.context import GraphQLContext
from graphql_schema.schema import schema
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.tenancy import make_org, make_team

ADMIN = Principal(ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN)


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


@contextmanager
def counting(gw: RunningGateway) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The key-invalidation poller reads gateway_settings in the background: not ours.
        if "gateway_settings" not in statement:
            statements.append(statement)

    engine = gw.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def statements_for(gw: RunningGateway, query: str) -> int:
    context = GraphQLContext(runtime=gw.runtime, principal=ADMIN, request_id="count")
    with counting(gw) as statements:
        result = await schema.execute(query, context_value=context)
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


@pytest.mark.parametrize("query", [ORGS, KEYS], ids=["organizations.teams", "keys.team.org"])
async def test_lists_cost_the_same_for_1_and_50_rows(gateway: RunningGateway, query: str) -> None:
    await add_orgs(gateway, 1)
    one = await statements_for(gateway, query)
    await add_orgs(gateway, 49)
    fifty = await statements_for(gateway, query)
    assert one == fifty
    assert one <= 4
