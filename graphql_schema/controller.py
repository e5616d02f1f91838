"""``POST /graphql`` (and GET for queries) on Litestar."""

from __future__ import annotations

from litestar.exceptions import ClientException
from strawberry.litestar import make_graphql_controller

from graphql_schema.context import context_getter
from graphql_schema.schema import schema

__all__ = ["MAX_REQUEST_BYTES", "GraphQLController"]

MAX_REQUEST_BYTES = 1024 * 1024
"""A GraphQL request's body: the document is at most 32 KB; the rest is variables."""


_Strawberry = make_graphql_controller(
    schema,
    path="/graphql",
    graphql_ide=None,
    allow_queries_via_get=True,
    context_getter=context_getter,
)


class GraphQLController(_Strawberry):  # type: ignore[misc,valid-type]
    request_max_body_size = MAX_REQUEST_BYTES

    def decode_json(self, data: str | bytes) -> object:
        try:
            return super().decode_json(data)
        except RecursionError:
            raise ClientException("The request body's JSON nests too deeply.") from None
