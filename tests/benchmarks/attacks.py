"""Small requests that once stalled the event loop, each with the refusal it must get.

``/graphql`` is attacked anonymously; ``/v1`` needs a key to read the body at all, so its
attacks are sent with one. Shared by the tests (``test_event_loop_safety.py``) and
``just bench-admin``, which times their refusals so a regression shows as a number too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = ["ATTACKS", "Attack"]

_JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Attack:
    name: str
    path: str
    body: bytes
    status: int
    code: str
    """``extensions.code`` on ``/graphql``; a phrase of the error message on ``/v1``."""
    reason: str | None = None
    """``extensions.reason`` on ``/graphql``."""
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=lambda: dict(_JSON))


def _graphql(name: str, query: str, reason: str) -> Attack:
    body = json.dumps({"query": query}).encode()
    return Attack(name, "/graphql", body, 200, "GRAPHQL_VALIDATION_FAILED", reason)


def _fan_out(levels: int) -> str:
    """Each fragment spreads the next twice: 2**levels selections from a few bytes each."""
    chain = " ".join(
        f"fragment G{i} on Viewer {{ ...G{i + 1} ...G{i + 1} }}" for i in range(levels)
    )
    return f"{{ me {{ ...G0 }} }} {chain} fragment G{levels} on Viewer {{ id }}"


def _fan_in(fragments: int) -> str:
    """Many fragments spread side by side: the overlap rule compares every pair."""
    spreads = " ".join(f"...F{i}" for i in range(fragments))
    defs = " ".join(f"fragment F{i} on Viewer {{ id email }}" for i in range(fragments))
    return f"{{ me {{ {spreads} }} }} {defs}"


def _aliases_times_fragments(levels: int) -> str:
    chain = " ".join(
        f"fragment G{i} on Viewer {{ a{i}: id ...G{i + 1} ...G{i + 1} }}" for i in range(levels)
    )
    return f"{{ me {{ ...G0 }} }} {chain} fragment G{levels} on Viewer {{ id }}"


def _deep_through_fragments(levels: int) -> str:
    chain = " ".join(f"fragment D{i} on Viewer {{ me {{ ...D{i + 1} }} }}" for i in range(levels))
    return f"{{ me {{ ...D0 }} }} {chain} fragment D{levels} on Viewer {{ id }}"


def _same_name(copies: int) -> str:
    inner = " ".join("id" for _ in range(30))
    return "{ " + " ".join(f"me {{ {inner} }}" for _ in range(copies)) + " }"


def _cycle() -> str:
    return "{ me { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }"


_DEEP_JSON = b"[" * 100_000 + b"]" * 100_000

ATTACKS: tuple[Attack, ...] = (
    _graphql("fragment-fan-out-40", _fan_out(40), "too_many_same_name"),
    _graphql("fragment-fan-in-100", _fan_in(100), "too_many_same_name"),
    _graphql("fragments-too-many", _fan_in(400), "too_many_fragments"),
    _graphql("aliases-x-fragments", _aliases_times_fragments(20), "too_many_same_name"),
    _graphql("deep-through-fragments", _deep_through_fragments(60), "too_deep"),
    _graphql("same-name-fields", _same_name(30), "too_many_same_name"),
    _graphql("fragment-cycle", _cycle(), "fragment_cycle"),
    _graphql("document-60kb", "{ me { id } }" + " " * 60_000, "document_too_long"),
    Attack(
        "graphql-deep-json-variables",
        "/graphql",
        b'{"query": "{ me { id } }", "variables": {"x": ' + _DEEP_JSON + b"}}",
        400,
        "BAD_REQUEST",
    ),
    Attack(
        "graphql-2mb-body",
        "/graphql",
        json.dumps({"query": "{ me { id } }", "variables": {"x": "a" * 2_000_000}}).encode(),
        413,
        "PAYLOAD_TOO_LARGE",
    ),
    Attack(
        "v1-deep-json",
        "/v1/chat/completions",
        b'{"model": "demo", "messages": [], "x": ' + _DEEP_JSON + b"}",
        400,
        "nests too deeply",
    ),
)
