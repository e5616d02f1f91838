"""The parts of a guardrail policy beyond its kind and mode: Presidio thresholds, allow
list and extra recognizers, keyword rules, and how a remote guardrail fails."""

from __future__ import annotations

from typing import Any

import strawberry

from app.gateway_settings.guardrail_policy import Fallback, OnFlagged
from app.gateway_settings.guardrail_policy import GuardrailPolicy as PolicyRow

__all__ = [
    "AdHocRecognizer",
    "AdHocRecognizerInput",
    "EntityScore",
    "EntityScoreInput",
    "RegexPattern",
    "RegexPatternInput",
    "ad_hoc_rows",
    "ad_hoc_types",
]

strawberry.enum(OnFlagged, name="GuardrailOnFlagged")
strawberry.enum(Fallback, name="GuardrailFallback")


@strawberry.type
class EntityScore:
    entity: str
    score: float


@strawberry.input
class EntityScoreInput:
    entity: str
    score: float


@strawberry.type
class RegexPattern:
    name: str
    regex: str
    score: float


@strawberry.input
class RegexPatternInput:
    regex: str
    name: str = ""
    score: float = 0.5


@strawberry.type
class AdHocRecognizer:
    """An extra Presidio recognizer: regular expressions and/or a deny list of words."""

    name: str
    supported_entity: str
    patterns: list[RegexPattern]
    deny_list: list[str]


@strawberry.input
class AdHocRecognizerInput:
    supported_entity: str
    name: str = ""
    patterns: list[RegexPatternInput] = strawberry.field(default_factory=list)
    deny_list: list[str] = strawberry.field(default_factory=list)


def ad_hoc_types(row: PolicyRow) -> list[AdHocRecognizer]:
    return [
        AdHocRecognizer(
            name=r.name,
            supported_entity=r.supported_entity,
            patterns=[
                RegexPattern(
                    name=str(p.get("name") or ""),
                    regex=str(p["regex"]),
                    score=float(p.get("score", 0.5)),
                )
                for p in r.patterns
            ],
            deny_list=list(r.deny_list),
        )
        for r in row.ad_hoc_recognizers
    ]


def ad_hoc_rows(recognizers: list[AdHocRecognizerInput]) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "supported_entity": r.supported_entity,
            "patterns": [{"name": p.name, "regex": p.regex, "score": p.score} for p in r.patterns],
            "deny_list": list(r.deny_list),
        }
        for r in recognizers
    ]
