"""GraphiQL at GET /graphql: the offline page for browsers, Strawberry for everything else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.proxy import graphiql_routes
from tests.support.gateway import RunningGateway, running_gateway

BROWSER = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "graphiql.html").write_text("<html><script src='/graphql/assets/app.js'>")
    monkeypatch.setattr(graphiql_routes, "DIST_DIR", tmp_path)
    return tmp_path


async def test_browsers_get_the_page_and_clients_get_graphql(
    gateway: RunningGateway, built: Path
) -> None:
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        page = await http.get("/graphql", headers=BROWSER)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "/graphql/assets/" in page.text
        query = await http.get(
            "/graphql",
            params={"query": "{ me { kind } }"},
            headers={"Authorization": f"Bearer {gateway.master_key}", **BROWSER},
        )
        assert query.json() == {"data": {"me": {"kind": "master_key"}}}
        posted = await http.post(
            "/graphql",
            json={"query": "{ me { kind } }"},
            headers={"Authorization": f"Bearer {gateway.master_key}"},
        )
        assert posted.json()["data"]["me"]["kind"] == "master_key"


async def test_a_missing_bundle_says_how_to_build_it(
    gateway: RunningGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphiql_routes, "DIST_DIR", tmp_path / "absent")
    async with httpx.AsyncClient(base_url=gateway.root) as http:
        page = await http.get("/graphql", headers=BROWSER)
    assert page.status_code == 503
    assert "just frontend" in page.text
