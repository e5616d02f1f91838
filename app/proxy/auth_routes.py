"""The two plain-HTTP steps of single sign-on: ``/auth/login`` and ``/auth/callback``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.response import Redirect

from app.auth.sso import FLOW_COOKIE
from app.errors import BadRequestError, NotFoundError
from app.proxy import console_routes
from app.proxy.cookies import session_cookie
from app.runtime import Runtime

__all__ = ["AUTH_ROUTES"]

AnyRequest = Request[Any, Any, Any]


def _runtime(request: AnyRequest) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    if not runtime.sso.enabled:
        raise NotFoundError("Single sign-on is not configured.", code="sso_disabled")
    return runtime


def _redirect_uri(request: AnyRequest, runtime: Runtime) -> str:
    configured = runtime.sso.settings.redirect_uri
    return configured or str(request.base_url).rstrip("/") + "/auth/callback"


def console_path(value: str | None) -> str | None:
    """``value`` when it is a path inside the console (``/ui`` or ``/ui/...``) of this
    origin: no scheme or host, no ``//``, backslash, ``..`` or control character, so a
    crafted ``next`` can send the browser nowhere else."""
    if not value or len(value) > 512 or not (value == "/ui" or value.startswith("/ui/")):
        return None
    path = value.split("?", 1)[0].split("#", 1)[0]
    if "//" in value or "\\" in value or ".." in path.split("/") or "%" in path:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value


def _after_sign_in(runtime: Runtime, flow_cookie: str | None) -> str:
    """Where a finished sign-in goes: the console (the flow's ``next`` if it is a console
    path, else ``/ui/``) when it is built, GraphiQL at ``/graphql`` when it is not."""
    if not console_routes.console_built():
        return "/graphql"
    return console_path(runtime.sso.next_path(flow_cookie)) or "/ui/"


@get("/auth/login")
async def sso_login(request: AnyRequest) -> Response[Any]:
    """Off to the provider; ``?next=/ui/...`` is where the console returns afterwards."""
    runtime = _runtime(request)
    next_path = console_path(request.query_params.get("next"))
    url, flow = await runtime.sso.start(_redirect_uri(request, runtime), next_path)
    secure = request.url.scheme == "https"
    cookie = Cookie(
        key=FLOW_COOKIE,
        value=flow,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/auth",
    )
    return Redirect(url, status_code=302, cookies=[cookie])


@get("/auth/callback")
async def sso_callback(request: AnyRequest) -> Response[Any]:
    runtime = _runtime(request)
    code, state = request.query_params.get("code"), request.query_params.get("state")
    if not code or not state:
        reason = request.query_params.get("error_description") or request.query_params.get(
            "error", "no reason given"
        )
        raise BadRequestError(f"The sign-in provider sent no code: {reason}.")
    flow_cookie = request.cookies.get(FLOW_COOKIE)
    result = await runtime.sso.finish(
        code=code,
        state=state,
        cookie=flow_cookie,
        redirect_uri=_redirect_uri(request, runtime),
        user_agent=request.headers.get("user-agent"),
        ip=request.client.host if request.client else None,
    )
    assert result.token is not None and result.lifetime is not None
    secure = request.url.scheme == "https"
    cookies = [
        session_cookie(result.token, secure=secure, lifetime=result.lifetime),
        Cookie(key=FLOW_COOKIE, value="", max_age=0, path="/auth"),
    ]
    return Redirect(_after_sign_in(runtime, flow_cookie), status_code=302, cookies=cookies)


AUTH_ROUTES = [sso_login, sso_callback]
