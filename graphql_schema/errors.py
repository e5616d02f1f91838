"""Every GraphQL error carries ``extensions.code``; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.db.outage import DATABASE_UNAVAILABLE, database_unreachable, warn_unreachable
from app.errors import (
    AuthenticationError,
    BadRequestError,
    DatabaseUnavailableError,
    DeltaLLMError,
    LimitsUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = ["ErrorCodes", "code_of"]

log = logging.getLogger("deltallm.graphql")

_BY_CODE = {
    "password_change_required": "PASSWORD_CHANGE_REQUIRED",
    "mfa_required": "MFA_REQUIRED",
}


def code_of(error: DeltaLLMError) -> str:
    if error.code in _BY_CODE:
        return _BY_CODE[error.code]
    if isinstance(error, AuthenticationError):
        return "UNAUTHENTICATED"
    if isinstance(error, PermissionDeniedError):
        return "FORBIDDEN"
    if isinstance(error, NotFoundError):
        return "NOT_FOUND"
    if isinstance(error, RateLimitError):
        return "RATE_LIMITED"
    if isinstance(error, BadRequestError):
        return "BAD_USER_INPUT"
    if isinstance(error, LimitsUnavailableError | DatabaseUnavailableError):
        return "UNAVAILABLE"
    return "INTERNAL_SERVER_ERROR"


def _answer(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    """``error`` at the same place in the query, with ``message`` and ``extensions``."""
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _rewrite(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DeltaLLMError):
        extensions: dict[str, Any] = {"code": code_of(original)}
        if original.param:
            extensions["field"] = original.param
        if original.code:
            extensions["reason"] = original.code
        return _answer(error, original.message, extensions)
    if isinstance(original, GraphQLError):
        # A variable that does not coerce to its type (an unknown enum value, say).
        return _answer(error, original.message, {"code": "BAD_USER_INPUT"})
    if original is None:
        # A validation or parsing error: the query itself is wrong.
        code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED")
        return _answer(error, error.message, {**(error.extensions or {}), "code": code})
    if original is not None and database_unreachable(original):
        warn_unreachable(original, f"GraphQL request {request_id}")
        return _answer(
            error,
            DATABASE_UNAVAILABLE,
            {"code": "UNAVAILABLE", "reason": "database_unavailable", "requestId": request_id},
        )
    log.error("unexpected error in GraphQL request %s", request_id, exc_info=original)
    return GraphQLError(
        f"Internal error (request id {request_id}).",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        result.errors = [_rewrite(error, request_id) for error in result.errors]
