"""The session cookie, set the same way by every sign-in (password or single sign-on)."""

from __future__ import annotations

from datetime import timedelta

from litestar.datastructures import Cookie

from app.auth.results import SESSION_COOKIE

__all__ = ["session_cookie"]


def session_cookie(token: str | None, *, secure: bool, lifetime: timedelta | None = None) -> Cookie:
    """HttpOnly, SameSite=Lax, Secure over TLS; without a token it clears the cookie.

    The lifetime is the server-side session's, sent as a relative ``Max-Age``: the
    browser drops the cookie when the server forgets the session, whatever its clock says.
    """
    if token is None or lifetime is None:
        return Cookie(
            key=SESSION_COOKIE,
            value="",
            max_age=0,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=max(0, int(lifetime.total_seconds())),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
