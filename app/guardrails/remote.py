"""Guardrails served over HTTP: an external Presidio analyzer and Lakera Guard v2.

Both use the gateway's pooled client (created once); each call has the policy's timeout.
An unreachable service (timeout, connection failure, 5xx, a body that is not the
expected JSON) fails open or closed by ``unreachable_fallback``.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from app.gateway_settings.guardrail_policy import Fallback, GuardrailPolicy, OnFlagged
from app.guardrails.base import Guard, Verdict, apply_spans
from app.guardrails.errors import GuardrailUnavailableError
from app.guardrails.presidio import spans_of

__all__ = ["LakeraGuard", "RemotePresidioGuard"]

log = logging.getLogger("deltallm.guardrails")


class _Unreachable(Exception):
    """The guard service did not answer in time, or answered with an error."""


class _HttpGuard(Guard):
    def __init__(self, policy: GuardrailPolicy, http: httpx.AsyncClient) -> None:
        super().__init__(policy)
        self._http = http

    async def _post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        try:
            response = await self._http.post(
                url, json=body, headers=headers, timeout=self.policy.timeout
            )
        except httpx.HTTPError as exc:
            raise _Unreachable(type(exc).__name__) from None
        if response.status_code >= 400:
            raise _Unreachable(f"status {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise _Unreachable("a body that is not JSON") from None

    def _fallback(self, why: str) -> Verdict:
        log.warning(
            "guardrail %s unreachable (%s): %s", self.name, why, self.policy.unreachable_fallback
        )
        if self.policy.unreachable_fallback is Fallback.FAIL_OPEN:
            return Verdict()
        raise GuardrailUnavailableError(
            f"Guardrail {self.name} could not be reached, so the call was refused."
        )


class RemotePresidioGuard(_HttpGuard):
    """``presidio_analyzer_api_base``: spans come from the server's ``/analyze``; masking
    is applied here with the same placeholders as in-process Presidio."""

    async def check(self, texts: list[str], roles: list[str]) -> Verdict:
        base = self.policy.analyzer_api_base
        found = []
        try:
            for text in texts:
                body: dict[str, Any] = {"text": text, "language": self.policy.language}
                if self.policy.pii_entities:
                    body["entities"] = list(self.policy.pii_entities)
                if self.policy.allow_list:
                    body["allow_list"] = list(self.policy.allow_list)
                results = await self._post(f"{base}/analyze", body, {}) if text else []
                if not isinstance(results, list):
                    raise _Unreachable("an answer that is not a list")
                found.append(spans_of(self.policy, results))
        except _Unreachable as exc:
            return self._fallback(str(exc))
        except (KeyError, TypeError, ValueError):
            return self._fallback("results of an unexpected shape")
        return apply_spans(texts, found, self.policy)


class LakeraGuard(_HttpGuard):
    """``POST {api_base}/v2/guard`` with the conversation; ``flagged`` blocks unless
    ``on_flagged: monitor``."""

    async def check(self, texts: list[str], roles: list[str]) -> Verdict:
        base = self.policy.api_base or "https://api.lakera.ai"
        key = self.policy.api_key.get_secret_value() if self.policy.api_key else ""
        messages = [
            {"role": role if role in ("system", "user", "assistant") else "user", "content": text}
            for text, role in zip(texts, roles, strict=True)
        ]
        try:
            answer = await self._post(
                f"{base}/v2/guard", {"messages": messages}, {"authorization": f"Bearer {key}"}
            )
        except _Unreachable as exc:
            return self._fallback(str(exc))
        if not isinstance(answer, dict) or not isinstance(answer.get("flagged"), bool):
            return self._fallback("an answer without `flagged`")
        if not answer["flagged"]:
            return Verdict()
        if self.policy.on_flagged is OnFlagged.MONITOR:
            log.warning("guardrail %s flagged a call (monitor only)", self.name)
            return Verdict(flagged=True)
        return Verdict(blocked=_detector(answer), flagged=True)


def _detector(answer: dict[str, Any]) -> str:
    """The first detector that fired (``prompt_attack``, ``pii/email``, ...), by type only."""
    for item in answer.get("breakdown") or []:
        if (
            isinstance(item, dict)
            and item.get("detected")
            and isinstance(item.get("detector_type"), str)
        ):
            return str(item["detector_type"])[:64]
    return "content flagged by Lakera Guard"
