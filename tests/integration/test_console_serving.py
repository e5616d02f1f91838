"""The web console at /ui: index.html revalidated, hashed assets cached, deep links reload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.proxy import console_routes
from tests.support.gateway import RunningGateway, running_gateway

INDEX = "<!doctype html><html><script type=module src='/ui/assets/index-abc123.js'></script>"


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ui = tmp_path / "ui"
    (ui / "assets").mkdir(parents=True)
    (ui / "index.html").write_text(INDEX)
    (ui / "assets" / "index-abc123.js").write_text("console.log('console')")
    (ui / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside the bundle")
    monkeypatch.setattr(console_routes, "UI_DIR", ui)
    return ui


@pytest.mark.parametrize("path", ["/ui", "/ui/", "/ui/keys", "/ui/keys/abc", "/ui/usage?x=1"])
async def test_every_console_path_answers_the_app_uncached(
    gateway: RunningGateway, built: Path, path: str
) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        page = await http.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert page.text == INDEX


async def test_hashed_assets_are_cached_for_a_year(gateway: RunningGateway, built: Path) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        asset = await http.get("/ui/assets/index-abc123.js")
        missing = await http.get("/ui/assets/index-gone.js")
        icon = await http.get("/ui/favicon.svg")
    assert asset.status_code == 200 and asset.text == "console.log('console')"
    assert "javascript" in asset.headers["content-type"]
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    # A stale asset name must not answer index.html with a long cache.
    assert missing.status_code == 404
    assert icon.status_code == 200 and icon.headers["cache-control"] == "no-cache"
    assert icon.headers["content-type"].startswith("image/svg+xml")


async def test_paths_cannot_leave_the_bundle(gateway: RunningGateway, built: Path) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        escaped = await http.get("/ui/%2e%2e/secret.txt")
        asset_escape = await http.get("/ui/assets/%2e%2e/%2e%2e/secret.txt")
    assert "outside the bundle" not in escaped.text
    assert asset_escape.status_code == 404


async def test_graphql_still_answers_beside_the_console(
    gateway: RunningGateway, built: Path
) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        posted = await http.post(
            "/graphql",
            json={"query": "{ me { kind } }"},
            headers={"Authorization": f"Bearer {gateway.master_key}"},
        )
    assert posted.json() == {"data": {"me": {"kind": "master_key"}}}


async def test_an_unbuilt_console_says_how_to_build_it(
    gateway: RunningGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_routes, "UI_DIR", tmp_path / "absent")
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        page = await http.get("/ui/keys")
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "just frontend" in page.text
