"""The two plain-HTTP steps of single sign-on: ``/auth/login`` and ``/auth/callback``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.response import Redirect

from app.auth.sso import FLOW_COOKIE
from app.errors import BadRequestError, NotFoundError
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


@get("/auth/login")
async def sso_login(request: AnyRequest) -> Response[Any]:
    runtime = _runtime(request)
    url, flow = await runtime.sso.start(_redirect_uri(request, runtime))
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
    result = await runtime.sso.finish(
        code=code,
        state=state,
        cookie=request.cookies.get(FLOW_COOKIE),
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
    return Redirect("/graphql", status_code=302, cookies=cookies)


AUTH_ROUTES = [sso_login, sso_callback]
