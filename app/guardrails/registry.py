"""The guardrails in force: one :class:`Guard` per policy, rebuilt when settings change."""

from __future__ import annotations

import asyncio
import logging

import httpx

from app.gateway_settings.guardrail_policy import GuardrailKind, GuardrailPolicy
from app.guardrails.base import Guard
from app.guardrails.keywords import KeywordGuard
from app.guardrails.remote import LakeraGuard, RemotePresidioGuard

__all__ = ["Guardrails", "build_guard", "rebuilt"]

log = logging.getLogger("deltallm.guardrails")


def build_guard(policy: GuardrailPolicy, http: httpx.AsyncClient) -> Guard:
    if policy.guardrail is GuardrailKind.KEYWORDS:
        return KeywordGuard(policy)
    if policy.guardrail is GuardrailKind.LAKERA:
        return LakeraGuard(policy, http)
    if policy.analyzer_api_base:
        return RemotePresidioGuard(policy, http)
    from app.guardrails.presidio import PresidioGuard

    return PresidioGuard(policy)


class Guardrails:
    """Every defined guardrail by name, and those that run on every call."""

    def __init__(self, policies: tuple[GuardrailPolicy, ...], http: httpx.AsyncClient) -> None:
        self.policies = policies
        self.guards = {p.name: build_guard(p, http) for p in policies}
        self.default_on = tuple(p.name for p in policies if p.default_on)
        self._started: asyncio.Task[None] | None = None

    def __bool__(self) -> bool:
        return bool(self.guards)

    def start(self) -> None:
        """Load engines (Presidio) in the background, so the first call does not wait."""
        if self.guards and self._started is None:
            self._started = asyncio.get_running_loop().create_task(self._start())
            self._started.add_done_callback(_report)

    async def _start(self) -> None:
        for guard in self.guards.values():
            await guard.start()


def _report(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("guardrails could not be prepared", exc_info=task.exception())


def rebuilt(
    current: Guardrails | None, policies: tuple[GuardrailPolicy, ...], http: httpx.AsyncClient
) -> Guardrails | None:
    """The guardrails for ``policies``: ``current`` when they did not change, None when
    there are none (a gateway without guardrails does no work for them)."""
    if current is not None and current.policies == policies:
        return current
    if not policies:
        return None
    guardrails = Guardrails(policies, http)
    guardrails.start()
    return guardrails
