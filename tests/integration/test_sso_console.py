"""The sign-in page's options (signInOptions, before anyone signs in) and where a finished
single sign-on sends the browser: the console when it is built, GraphiQL when it is not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.proxy import console_routes
from tests.support.fake_oidc import FakeOidcProvider, oidc_config
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql

OPTIONS = "{ signInOptions { oidcEnabled oidcLabel passwordEnabled } }"


@pytest.fixture
async def gateway(provider: FakeOidcProvider) -> AsyncIterator[RunningGateway]:
    async with running_gateway(oidc_config(provider, label="Example ID")) as gw:
        yield gw


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built console bundle (its index.html)."""
    ui = tmp_path / "ui"
    ui.mkdir()
    (ui / "index.html").write_text("<!doctype html><title>console</title>")
    monkeypatch.setattr(console_routes, "UI_DIR", ui)
    return ui


@pytest.fixture
def no_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_routes, "UI_DIR", tmp_path / "not-built")


async def landing(gw: RunningGateway, login: str = "/auth/login") -> str:
    """Walk the sign-in redirects as a browser would; where the callback sends it."""
    async with httpx.AsyncClient(base_url=gw.root) as http:
        to_provider = await http.get(login)
        assert to_provider.status_code == 302
        async with httpx.AsyncClient() as browser:
            back = await browser.get(to_provider.headers["location"])
        done = await http.get(back.headers["location"].removeprefix(gw.root))
        assert done.status_code == 302, done.text
        assert "deltallm_session" in http.cookies
        return done.headers["location"]


async def test_sign_in_options_are_public(gateway: RunningGateway) -> None:
    body = await gql(gateway, OPTIONS, token=None)
    assert body == {
        "data": {
            "signInOptions": {
                "oidcEnabled": True,
                "oidcLabel": "Example ID",
                "passwordEnabled": True,
            }
        }
    }


async def test_without_oidc_the_options_say_so() -> None:
    async with running_gateway({"model_list": []}) as gw:
        body = await gql(gw, OPTIONS, token=None)
    assert body["data"]["signInOptions"] == {
        "oidcEnabled": False,
        "oidcLabel": None,
        "passwordEnabled": True,
    }


async def test_sign_in_lands_in_the_console(gateway: RunningGateway, console: Path) -> None:
    assert await landing(gateway) == "/ui/"
    assert await landing(gateway, "/auth/login?next=/ui/keys/k1") == "/ui/keys/k1"
    assert await landing(gateway, "/auth/login?next=/ui/usage%3Fstatus%3Derror") == (
        "/ui/usage?status=error"
    )


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.test/ui/",
        "//evil.test/ui/",
        "/ui//evil.test",
        "/ui/../graphql",
        "/uix",
        "/graphql",
        "/ui/\\evil.test",
        "/ui/%2e%2e/graphql",
    ],
)
async def test_a_next_outside_the_console_is_ignored(
    gateway: RunningGateway, console: Path, next_path: str
) -> None:
    login = str(httpx.URL("/auth/login", params={"next": next_path}))
    assert await landing(gateway, login) == "/ui/"


async def test_without_a_console_sign_in_lands_in_graphiql(
    gateway: RunningGateway, no_console: None
) -> None:
    assert await landing(gateway, "/auth/login?next=/ui/keys") == "/graphql"
