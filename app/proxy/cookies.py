"""The session cookie, set the same way by every sign-in (password or single sign-on)."""

from __future__ import annotations

from datetime import datetime

from litestar.datastructures import Cookie

from app.auth.results import SESSION_COOKIE

__all__ = ["session_cookie"]


def session_cookie(
    token: str | None, *, secure: bool, expires_at: datetime | None = None
) -> Cookie:
    """HttpOnly, SameSite=Lax, Secure over TLS; without a token it clears the cookie."""
    if token is None or expires_at is None:
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
        expires=int(expires_at.timestamp()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
