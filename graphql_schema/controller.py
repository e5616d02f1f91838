"""``POST /graphql`` (and GET for queries) on Litestar."""

from __future__ import annotations

from strawberry.litestar import make_graphql_controller

from graphql_schema.context import context_getter
from graphql_schema.schema import schema

__all__ = ["GraphQLController"]

GraphQLController = make_graphql_controller(
    schema,
    path="/graphql",
    graphql_ide=None,
    allow_queries_via_get=True,
    context_getter=context_getter,
)
