"""What the request log keeps of a failed call: a short message, never a secret or a prompt.

Upstream messages already arrive redacted and bounded (:mod:`app.providers.upstream_errors`);
here every message is redacted again, URLs (which may come from a prompt's image parts) and
long quoted passages (which some providers echo from the prompt) are cut out, and the result
is bounded to :data:`MAX_CHARS`. Errors that are not the gateway's own are named by kind only.
"""

from __future__ import annotations

import asyncio
import re

from app.errors import DeltaLLMError
from app.providers.upstream_errors import redact

__all__ = ["MAX_CHARS", "failure_message"]

MAX_CHARS = 300
_URL = re.compile(r"(?i)\b(?:https?|wss?|ftp|data):[^\s\"'<>]+")
_QUOTED = re.compile(r"\"[^\"]{33,}\"|'[^']{33,}'|`[^`]{33,}`")
_SPACE = re.compile(r"\s+")


def failure_message(exc: BaseException) -> str:
    """The message the request log stores for ``exc``."""
    if isinstance(exc, DeltaLLMError):
        text = _QUOTED.sub("[quoted text]", _URL.sub("[url]", redact(exc.message)))
        text = _SPACE.sub(" ", text).strip() or type(exc).__name__
    elif isinstance(exc, asyncio.CancelledError):
        text = "The client went away before the answer."
    else:
        text = "Internal error."
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
