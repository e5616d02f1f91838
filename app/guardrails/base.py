"""One guardrail's seam: look at texts, answer with a verdict (block, mask, or pass)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from app.gateway_settings.guardrail_policy import GuardrailMode, GuardrailPolicy, PiiAction

__all__ = ["Guard", "Span", "Verdict", "apply_spans"]


@dataclass(frozen=True, slots=True)
class Span:
    """A finding in one text: where, what kind, and what to do about it."""

    start: int
    end: int
    entity: str
    action: PiiAction
    score: float = 1.0


@dataclass(slots=True)
class Verdict:
    """A guardrail's answer over a list of texts.

    ``blocked`` names the finding that blocks (an entity type or a category, never the
    matched text); ``texts`` are the rewritten texts (None: unchanged); ``restore`` maps the
    placeholders put into the texts back to the values they replaced.
    """

    blocked: str | None = None
    texts: list[str] | None = None
    restore: dict[str, str] = field(default_factory=dict)
    flagged: bool = False
    """Findings were made (a monitored or masked finding counts)."""


def apply_spans(texts: list[str], found: list[list[Span]], policy: GuardrailPolicy) -> Verdict:
    """Block on the first BLOCK span, or replace MASK spans with ``<ENTITY>`` placeholders
    (numbered ``<ENTITY_1>`` when the values are to be restored in the answer). A
    ``logging_only`` guardrail never blocks: it masks every finding in what is kept."""
    number = policy.output_parse_pii
    if policy.mode is not GuardrailMode.LOGGING_ONLY:
        for spans in found:
            for span in spans:
                if span.action is PiiAction.BLOCK:
                    return Verdict(blocked=span.entity, flagged=True)
    if not any(found):
        return Verdict()
    out, restore, counts = [], {}, dict[str, int]()
    for text, spans in zip(texts, found, strict=True):
        pieces, position = [], 0
        for span in _disjoint(spans):
            pieces.append(text[position : span.start])
            if number:
                counts[span.entity] = counts.get(span.entity, 0) + 1
                token = f"<{span.entity}_{counts[span.entity]}>"
                restore[token] = text[span.start : span.end]
            else:
                token = f"<{span.entity}>"
            pieces.append(token)
            position = span.end
        pieces.append(text[position:])
        out.append("".join(pieces))
    return Verdict(texts=out, restore=restore, flagged=True)


def _disjoint(spans: list[Span]) -> list[Span]:
    """Spans in order, an overlapped span giving way to the longer or surer one."""
    ranked = sorted(spans, key=lambda s: (-(s.end - s.start), -s.score, s.start))
    kept: list[Span] = []
    for span in ranked:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


class Guard(ABC):
    """A configured guardrail."""

    def __init__(self, policy: GuardrailPolicy) -> None:
        self.policy = policy
        self.name = policy.name

    @abstractmethod
    async def check(self, texts: list[str], roles: list[str]) -> Verdict:
        """Look at ``texts`` (their speakers in ``roles``)."""

    def find_now(self, text: str) -> list[Span] | None:
        """Findings in a short text without waiting (None: this guardrail cannot)."""
        return None

    async def start(self) -> None:
        """Prepare (load engines) before the first call; optional."""
        return None
