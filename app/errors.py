"""The one error hierarchy of DeltaLLM.

Every error a caller can see is a :class:`DeltaLLMError`. Each class carries the HTTP
status and OpenAI's error ``type``/``code`` so that the official SDKs raise the matching
exception class. Transports render them once (``app/proxy/errors.py`` for ``/v1``).

    DeltaLLMError
    ├── BadRequestError (400)
    │   ├── ContextWindowExceededError (400, context_length_exceeded)
    │   └── ContentPolicyError (400, content_policy_violation)
    ├── AuthenticationError (401)
    ├── PermissionDeniedError (403)
    ├── NotFoundError (404)
    ├── RateLimitError (429)
    ├── LimitsUnavailableError (503, limits_unavailable)
    ├── DatabaseUnavailableError (503, database_unavailable)
    ├── ShuttingDownError (503, shutting_down)
    └── UpstreamError (502)
        ├── UpstreamUnavailableError (503)
        └── UpstreamTimeoutError (504)
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ContentPolicyError",
    "ContextWindowExceededError",
    "DatabaseUnavailableError",
    "DeltaLLMError",
    "LimitsUnavailableError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ShuttingDownError",
    "UpstreamError",
    "UpstreamTimeoutError",
    "UpstreamUnavailableError",
]


class DeltaLLMError(Exception):
    """Base of every error that reaches a caller."""

    status_code: int = 500
    error_type: str = "api_error"
    default_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code
        self.headers: dict[str, str] = dict(headers or {})

    def to_body(self) -> dict[str, object]:
        """The OpenAI error object."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class BadRequestError(DeltaLLMError):
    status_code = 400
    error_type = "invalid_request_error"


class ContextWindowExceededError(BadRequestError):
    default_code = "context_length_exceeded"


class ContentPolicyError(BadRequestError):
    default_code = "content_policy_violation"


class AuthenticationError(DeltaLLMError):
    status_code = 401
    error_type = "invalid_request_error"
    default_code = "invalid_api_key"


class PermissionDeniedError(DeltaLLMError):
    status_code = 403
    error_type = "permission_denied"
    default_code = "model_not_allowed"


class NotFoundError(DeltaLLMError):
    status_code = 404
    error_type = "invalid_request_error"
    default_code = "not_found"


class RateLimitError(DeltaLLMError):
    status_code = 429
    error_type = "requests"
    default_code = "rate_limit_exceeded"


class LimitsUnavailableError(DeltaLLMError):
    """The shared counters behind rate limits and budgets cannot be reached, and the
    gateway is set to refuse rather than serve unlimited (``redis_unavailable``)."""

    status_code = 503
    error_type = "service_unavailable_error"
    default_code = "limits_unavailable"


class DatabaseUnavailableError(DeltaLLMError):
    """The database cannot be reached (down, restarting, out of connections)."""

    status_code = 503
    error_type = "service_unavailable_error"
    default_code = "database_unavailable"


class ShuttingDownError(DeltaLLMError):
    """The instance is shutting down and its drain deadline has passed."""

    status_code = 503
    error_type = "service_unavailable_error"
    default_code = "shutting_down"


class UpstreamError(DeltaLLMError):
    """The provider failed; ``retryable`` tells the router whether another try may help."""

    status_code = 502
    error_type = "upstream_error"
    default_code = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, code=code, param=param, headers=headers)
        if status_code is not None:
            self.status_code = status_code
        self.retryable = retryable
        self.retry_after = retry_after


class UpstreamUnavailableError(UpstreamError):
    status_code = 503
    default_code = "service_unavailable"


class UpstreamTimeoutError(UpstreamError):
    status_code = 504
    default_code = "upstream_timeout"


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every one with its exact path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
