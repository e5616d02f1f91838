"""Expected failures of mutations, returned in the payload instead of as GraphQL errors."""

from __future__ import annotations

import strawberry

from app.errors import DeltaLLMError

__all__ = ["UserError", "camel", "user_errors"]


@strawberry.type
class UserError:
    """An expected failure the caller can fix (validation, conflict).

    ``field`` names the argument or input field as the schema spells it (``maxBudget``),
    or a path into a JSON argument as the caller wrote it (``params.api_base``).
    """

    field: str | None
    message: str
    code: str


def camel(name: str) -> str:
    """``max_budget`` as the schema spells it: ``maxBudget``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_errors(exc: DeltaLLMError) -> list[UserError]:
    """The payload ``errors`` for an expected failure raised by a service."""
    param = exc.param
    field = (param if "." in param else camel(param)) if param else None
    return [UserError(field=field, message=exc.message, code=exc.code or "invalid")]
