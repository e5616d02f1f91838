"""What sign-in and session checks return to the transports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.users.models import PlatformRole

__all__ = ["SESSION_COOKIE", "LoginOutcome", "LoginResult", "SessionIdentity"]

SESSION_COOKIE = "deltallm_session"
"""The browser cookie that carries a session token (HttpOnly, SameSite=Lax)."""


class LoginOutcome(StrEnum):
    SUCCESS = "success"
    MFA_REQUIRED = "mfa_required"
    """The password was right but a TOTP or recovery code is needed: no session exists."""


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in; ``token`` is the raw session token, returned only here."""

    outcome: LoginOutcome
    user_id: str
    must_change_password: bool
    token: str | None = None
    session_id: str | None = None
    expires_at: datetime | None = None
    lifetime: timedelta | None = None
    """How long the new session lives (the cookie's ``Max-Age``)."""

    @property
    def mfa_required(self) -> bool:
        return self.outcome is LoginOutcome.MFA_REQUIRED


@dataclass(frozen=True)
class SessionIdentity:
    """Who a valid session token belongs to."""

    user_id: str
    email: str
    platform_role: PlatformRole
    must_change_password: bool
    session_id: str
    mfa_passed: bool
    expires_at: datetime
