"""Shared GraphQL shapes: Relay-style connections with a total count, exact decimals."""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry
from strawberry.schema.types.base_scalars import DecimalDefinition

from app.db.pagination import Page

__all__ = ["EXACT_DECIMAL", "Connection", "Edge", "PageInfo", "connection"]


def _exact(value: decimal.Decimal) -> str:
    """The shortest exact text: ``10.5`` whether the database kept ``10.5000000000`` or not."""
    return format(value.normalize(), "f") if value.is_finite() else str(value)


# Money and limits as strings, without trailing zeros or exponents, however they were stored.
EXACT_DECIMAL = dataclasses.replace(
    DecimalDefinition, description="An exact decimal number, as a string.", serialize=_exact
)

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def connection(page: Page[R], convert: Callable[[R], T]) -> Connection[T]:  # type: ignore[type-var]
    edges = [
        Edge(cursor=c, node=convert(item)) for item, c in zip(page.items, page.cursors, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
        ),
        total_count=page.total,
    )
