"""The web console at ``GET /ui``, served from the bundle built in ``frontend/``.

``just frontend`` builds ``frontend/dist/ui``: ``index.html`` plus hashed files under
``assets/`` (Vite ``base`` is ``/ui/``). The console is a single-page app, so every other
``/ui/...`` path answers ``index.html`` and the browser's router draws the page: a deep
link such as ``/ui/keys/abc`` survives a reload. ``index.html`` is revalidated on every
load (it names the current assets); the assets carry a content hash and are cached for a
year. Until the bundle is built, ``/ui`` answers a short page that says how to build it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import anyio
from litestar import MediaType, Response, get
from litestar.exceptions import NotFoundException

from app.proxy.graphiql_routes import DIST_DIR

__all__ = ["CONSOLE_ROUTES", "UI_DIR", "console_built"]

UI_DIR = DIST_DIR / "ui"
_INDEX = "index.html"
_IMMUTABLE = "public, max-age=31536000, immutable"
_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DeltaLLM console</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The console is not built</h1>
<p>Run <code>just frontend</code> (or <code>just setup</code>) to build
<code>frontend/dist/ui</code>, then reload this page.</p>
<p>The GraphQL API and GraphiQL are at <a href="/graphql">/graphql</a>.</p>
</body></html>
"""


def console_built() -> bool:
    """Whether the console's bundle is there to serve (its ``index.html`` exists)."""
    return (UI_DIR / _INDEX).is_file()


def _inside(root: Path, relative: str) -> Path | None:
    """``root/relative`` if it stays inside ``root``; ``None`` for ``..`` tricks."""
    base = root.resolve()
    target = (base / relative.lstrip("/")).resolve()
    return target if target.is_relative_to(base) and target != base else None


async def _file(path: Path, cache_control: str) -> Response[bytes] | None:
    try:
        body = await anyio.Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(body, media_type=media_type, headers={"Cache-Control": cache_control})


@get(["/ui", "/ui/{path:path}"], name="console", include_in_schema=False)
async def console(path: str = "/") -> Response[bytes]:
    """A built file when the path names one; otherwise the app's ``index.html``."""
    root = UI_DIR
    target = _inside(root, path)
    if path.startswith("/assets/"):
        found = await _file(target, _IMMUTABLE) if target else None
        if found is None:
            raise NotFoundException(f"No console asset at {path}.")
        return found
    if target is not None and target.name != _INDEX:
        found = await _file(target, "no-cache")
        if found is not None:
            return found
    index = await _file(root / _INDEX, "no-cache")
    if index is None:
        return Response(
            _NOT_BUILT.encode(),
            status_code=503,
            media_type=MediaType.HTML,
            headers={"Cache-Control": "no-cache"},
        )
    return index


CONSOLE_ROUTES = [console]
