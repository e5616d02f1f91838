"""Shared GraphQL shapes: Relay-style connections with a total count, exact decimals."""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.schema.types.base_scalars import DecimalDefinition
from strawberry.types import Info

from app.db.pagination import Page

__all__ = [
    "EXACT_DECIMAL",
    "Connection",
    "Edge",
    "PageInfo",
    "SortDirection",
    "SortOrder",
    "asks_for_total",
    "connection",
]


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
    total: strawberry.Private[int | None]

    @strawberry.field
    def total_count(self) -> int:
        """How many items there are in all, across every page."""
        if self.total is None:  # the resolver chose not to count: a bug if asked
            raise RuntimeError("totalCount was asked for but not counted")
        return self.total


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum
class SortOrder(Enum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


def asks_for_total(info: Info[Any, Any]) -> bool:
    """Whether the query selects ``totalCount`` anywhere under this field (fragments too)."""

    def selects(selections: Iterable[Any]) -> bool:
        return any(
            getattr(s, "name", None) == "totalCount" or selects(getattr(s, "selections", ()))
            for s in selections
        )

    return any(selects(field.selections) for field in info.selected_fields)


def connection(page: Page[R], convert: Callable[[R], T]) -> Connection[T]:
    edges = [
        Edge(cursor=c, node=convert(item)) for item, c in zip(page.items, page.cursors, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
        ),
        total=page.total,
    )
