"""The request id: born once per HTTP request, seen by every log line written while serving it.

The id lives in a context variable, so tasks spawned while serving a request (settlement,
for one) keep it too.
"""

from __future__ import annotations

import itertools
import secrets
from contextvars import ContextVar, Token

__all__ = ["bind_request_id", "current_request_id", "new_request_id", "unbind_request_id"]

_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count()
_CURRENT: ContextVar[str | None] = ContextVar("deltallm_request_id", default=None)


def new_request_id() -> str:
    """Unique across processes (random per-process prefix) without a syscall per request."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def current_request_id() -> str | None:
    return _CURRENT.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    return _CURRENT.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _CURRENT.reset(token)
