"""GraphiQL at ``GET /graphql``, served from the offline bundle built in ``frontend/``.

``just frontend`` builds ``frontend/dist``: ``graphiql.html`` plus hashed files under
``assets/`` (Vite ``base`` is ``/graphql/``, so the page asks for ``/graphql/assets/...``).

Litestar allows one handler per path and method, and Strawberry's controller owns
``GET /graphql`` (queries via GET). So the page is a ``before_request`` hook on a router
around that controller: a browser navigation (``Accept: text/html``, no ``query``
parameter) gets the page; everything else (POST, ``GET ?query=...``, JSON clients,
WebSockets) reaches Strawberry unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from litestar import Controller, MediaType, Request, Response, Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

__all__ = ["DIST_DIR", "with_graphiql"]

DIST_DIR = Path(__file__).resolve().parents[2] / "frontend" / "dist"
_PAGE = "graphiql.html"
_NOT_BUILT = "GraphiQL is not built: run `just frontend` (builds frontend/dist) and reload.\n"


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )


async def _graphiql_page(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """Answer browser navigations with the page; ``None`` lets Strawberry handle the rest."""
    if not _wants_page(request):
        return None
    try:
        page = await anyio.Path(DIST_DIR / _PAGE).read_bytes()
    except FileNotFoundError:
        return Response(_NOT_BUILT.encode(), status_code=503, media_type=MediaType.TEXT)
    return Response(
        page,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-cache"},
    )


def with_graphiql(graphql_controller: type[Controller]) -> list[ControllerRouterHandler]:
    """The GraphQL controller wrapped with the GraphiQL page, plus the page's assets."""
    return [
        Router(path="/", route_handlers=[graphql_controller], before_request=_graphiql_page),
        create_static_files_router(
            path="/graphql/assets",
            directories=[DIST_DIR / "assets"],
            name="graphiql-assets",
            # File names carry a content hash.
            cache_control=CacheControlHeader(max_age=31_536_000, public=True, immutable=True),
        ),
    ]
