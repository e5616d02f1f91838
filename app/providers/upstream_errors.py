"""Turning a provider's error answer into the gateway's one upstream error type.

Callers get the upstream's status and its structured message with anything that looks
like a credential redacted; a body that is not an error object (an HTML page, a proxy's
echo of the request) never reaches them. The operator's log gets the same redacted message
and the body's size, never the body itself: an echo of the request would carry the prompt.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from app.errors import (
    BadRequestError,
    ContentPolicyError,
    ContextWindowExceededError,
    NotFoundError,
    UpstreamError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

__all__ = ["error_from_upstream", "redact", "retry_after_seconds"]

log = logging.getLogger("deltallm.upstream")

# Linear-time patterns (no nested quantifiers): bearer tokens, provider-style keys, and
# values named like keys or secrets.
_SECRETS = re.compile(
    r"(?i)(bearer\s+)[^\s\"',]+"
    r"|\b(?:sk|pk|rk|sess)-[A-Za-z0-9_*.-]{6,}"
    r"|\b(?:AKIA|ASIA)[A-Z0-9]{12,}"
    r"|((?:api[_-]?key|x-api-key|secret|password|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"
)
_MESSAGE_CHARS = 500


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[redacted]``."""
    return _SECRETS.sub(lambda m: f"{m.group(1) or m.group(2) or ''}[redacted]", text)


_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "prompt is too long",
    "too many tokens",
)
_POLICY_MARKERS = ("content_policy_violation", "content_filter", "content management policy")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds), when the upstream sent one."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def _message_of(status: int, body: bytes) -> tuple[str, str | None, str | None]:
    """(message, code, param) from an OpenAI- or Anthropic-style error body."""
    try:
        data: Any = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return f"the upstream answered HTTP {status} without an error object", None, None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        return str(error.get("message") or code or "error"), _str(code), _str(error.get("param"))
    if isinstance(error, str):
        return error, None, None
    if isinstance(data, dict) and "message" in data:
        return str(data["message"]), None, None
    return f"the upstream answered HTTP {status}", None, None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def error_from_upstream(
    provider: str, status: int, body: bytes, headers: Mapping[str, str]
) -> Exception:
    """The error to raise for an upstream status ≥ 400.

    Client mistakes (400, 404, 422) are not retried and keep the provider's message;
    overload and server failures are retryable. Provider credential failures are the
    operator's problem, so they surface as 502 rather than as the caller's 401.
    """
    message, code, param = _message_of(status, body)
    message = redact(message[:_MESSAGE_CHARS])
    log.log(
        logging.INFO if status in (400, 404, 413, 422) else logging.WARNING,
        "%s answered HTTP %d (%d bytes): %s",
        provider,
        status,
        len(body),
        message,
    )
    lowered = f"{message} {code or ''}".lower()
    text = f"{provider}: {message}"
    if status in (400, 413, 422):
        if any(marker in lowered for marker in _CONTEXT_MARKERS):
            return ContextWindowExceededError(text, param=param)
        if any(marker in lowered for marker in _POLICY_MARKERS):
            return ContentPolicyError(text, param=param)
        return BadRequestError(text, param=param, code=code)
    if status == 404:
        return NotFoundError(text, code=code or "model_not_found")
    retry_after = retry_after_seconds(headers)
    # The upstream's own hint is passed on, so callers back off as it asked.
    hint = {"retry-after": str(max(1, math.ceil(retry_after)))} if retry_after is not None else {}
    if status in (401, 403):
        return UpstreamError(
            f"{provider} rejected the gateway's credentials: {message}",
            status_code=502,
            retryable=False,
            code="upstream_auth_error",
        )
    if status == 429:
        return UpstreamError(
            text,
            status_code=429,
            retryable=True,
            retry_after=retry_after,
            code="rate_limit_exceeded",
            headers=hint,
        )
    if status in (408, 504):
        return UpstreamTimeoutError(text, retry_after=retry_after, headers=hint)
    if status in (503, 529):
        return UpstreamUnavailableError(text, retry_after=retry_after, headers=hint)
    return UpstreamError(text, status_code=502, retryable=status >= 500, retry_after=retry_after)
