"""Shared GraphQL shapes: Relay-style connections with a total count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from app.db.pagination import Page

__all__ = ["Connection", "Edge", "PageInfo", "connection"]

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
