"""Testing one deployment: a small request through the router to exactly that deployment.

The answer, the time it took and any error come back; the test itself is audited (it
spends the provider's money), its outcome with it. Nothing is admitted or charged to a
key: the caller is an administrator, not an application.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import Actor, record_now
from app.config import ModelMode
from app.errors import DeltaLLMError
from app.providers.base import Operation, Usage
from app.router.deployment import Deployment
from app.router.router import Router

__all__ = ["DeploymentTest", "DeploymentTester"]

PROMPT = "Reply with the single word: ready"
_MAX_TOKENS = 16


@dataclass(frozen=True, slots=True)
class DeploymentTest:
    """``answer`` is the reply's text (chat and completion modes); ``error`` the failure
    (``code``, ``message``, ``status``) when there was one."""

    deployment: Deployment
    latency_ms: float
    answer: str | None = None
    usage: Usage | None = None
    error: DeltaLLMError | None = None


def _request(mode: ModelMode | None) -> tuple[Operation, dict[str, Any]]:
    if mode is ModelMode.COMPLETION:
        return Operation.COMPLETION, {"prompt": PROMPT, "max_tokens": _MAX_TOKENS}
    if mode is ModelMode.EMBEDDING:
        return Operation.EMBEDDING, {"input": PROMPT}
    if mode is ModelMode.MODERATION:
        return Operation.MODERATION, {"input": PROMPT}
    messages = [{"role": "user", "content": PROMPT}]
    return Operation.CHAT, {"messages": messages, "max_tokens": _MAX_TOKENS}


def _answer(content: bytes) -> str | None:
    """The first choice's text of a chat or completion body."""
    try:
        body = json.loads(content)
        choice = body["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    text = choice.get("text") if "text" in choice else (choice.get("message") or {}).get("content")
    return text if isinstance(text, str) else None


class DeploymentTester:
    def __init__(
        self, router: Callable[[], Router], sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        self._router = router
        self._sessions = sessions

    async def test(self, actor: Actor, deployment_id: str) -> DeploymentTest:
        """Call the deployment once; an unknown or wildcard deployment raises."""
        router = self._router()
        deployment = router.deployment(deployment_id)
        op, body = _request(deployment.info.mode)
        started = time.perf_counter()
        try:
            routed = await router.call_deployment(deployment_id, op, body)
        except DeltaLLMError as exc:
            if exc.code in ("deployment_not_found", "wildcard_deployment"):
                raise
            outcome = DeploymentTest(deployment, _ms(started), error=exc)
        else:
            outcome = DeploymentTest(
                deployment,
                _ms(started),
                answer=_answer(routed.result.content),
                usage=routed.result.usage,
            )
        after = {
            "ok": outcome.error is None,
            "latency_ms": round(outcome.latency_ms, 1),
            "error": outcome.error.code if outcome.error else None,
        }
        await record_now(
            self._sessions, actor, "deployment.test", "deployment", deployment.id, after=after
        )
        return outcome


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
