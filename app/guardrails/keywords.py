"""The built-in ``keywords`` guardrail: deny-listed words and regular expressions."""

from __future__ import annotations

import re

from app.gateway_settings.guardrail_policy import GuardrailPolicy
from app.guardrails.base import Guard, Span, Verdict, apply_spans

__all__ = ["KeywordGuard"]


class KeywordGuard(Guard):
    """Words match case-insensitively on word boundaries; patterns as written. Findings are
    ``KEYWORD`` or ``PATTERN``, blocked or masked by ``keyword_action``."""

    def __init__(self, policy: GuardrailPolicy) -> None:
        super().__init__(policy)
        words = sorted({w for w in policy.keywords if w}, key=len, reverse=True)
        self._words = (
            re.compile(r"(?i)(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")
            if words
            else None
        )
        self._patterns = [re.compile(p) for p in policy.patterns]

    def find(self, text: str) -> list[Span]:
        action = self.policy.keyword_action
        spans = []
        if self._words is not None:
            spans += [
                Span(m.start(), m.end(), "KEYWORD", action) for m in self._words.finditer(text)
            ]
        for pattern in self._patterns:
            spans += [
                Span(m.start(), m.end(), "PATTERN", action)
                for m in pattern.finditer(text)
                if m.end() > m.start()
            ]
        return spans

    def find_now(self, text: str) -> list[Span] | None:
        return self.find(text)

    async def check(self, texts: list[str], roles: list[str]) -> Verdict:
        return apply_spans(texts, [self.find(t) for t in texts], self.policy)
