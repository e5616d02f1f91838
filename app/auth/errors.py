"""The errors of sign-in and account management, each with a stable ``code``.

The GraphQL layer maps ``code`` to ``extensions.code``; messages are safe to show.

    DeltaLLMError
    ├── AuthenticationError (401)
    │   ├── InvalidCredentialsError (invalid_credentials)
    │   ├── AccountLockedError (account_locked)
    │   └── InvalidMfaCodeError (invalid_mfa_code)
    ├── BadRequestError (400)
    │   ├── WeakPasswordError (weak_password)
    │   ├── InvalidEmailError (invalid_email)
    │   └── MfaStateError (mfa_already_enabled, mfa_not_enabled, mfa_not_started)
    ├── NotFoundError (404)
    │   └── UserNotFoundError (user_not_found)
    └── ConflictError (409)
        └── EmailTakenError (email_taken)
"""

from __future__ import annotations

from datetime import datetime

from app.errors import AuthenticationError, BadRequestError, DeltaLLMError, NotFoundError

__all__ = [
    "AccountLockedError",
    "ConflictError",
    "EmailTakenError",
    "InvalidCredentialsError",
    "InvalidEmailError",
    "InvalidMfaCodeError",
    "MfaStateError",
    "UserNotFoundError",
    "WeakPasswordError",
]


class InvalidCredentialsError(AuthenticationError):
    """Unknown e-mail, wrong password or blocked user: deliberately indistinguishable."""

    default_code = "invalid_credentials"

    def __init__(self, message: str = "invalid e-mail or password") -> None:
        super().__init__(message)


class AccountLockedError(AuthenticationError):
    """Too many failed sign-ins; refused (even with the right password) until ``until``."""

    default_code = "account_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__("too many failed sign-ins: the account is locked for a while")
        self.until = until


class InvalidMfaCodeError(AuthenticationError):
    """The TOTP or recovery code is wrong, expired or already used."""

    default_code = "invalid_mfa_code"

    def __init__(self, message: str = "invalid authentication code") -> None:
        super().__init__(message, param="code")


class WeakPasswordError(BadRequestError):
    """The new password breaks the password policy."""

    default_code = "weak_password"

    def __init__(self, message: str) -> None:
        super().__init__(message, param="password")


class InvalidEmailError(BadRequestError):
    default_code = "invalid_email"

    def __init__(self, message: str = "not an e-mail address") -> None:
        super().__init__(message, param="email")


class MfaStateError(BadRequestError):
    """The MFA action does not fit the user's MFA state (``code`` says which)."""


class UserNotFoundError(NotFoundError):
    default_code = "user_not_found"

    def __init__(self, user_id: str) -> None:
        super().__init__(f"no user {user_id}", param="user_id")


class ConflictError(DeltaLLMError):
    """The change collides with existing data."""

    status_code = 409
    error_type = "invalid_request_error"
    default_code = "conflict"


class EmailTakenError(ConflictError):
    default_code = "email_taken"

    def __init__(self, email: str) -> None:
        super().__init__(f"a user with e-mail {email} already exists", param="email")
