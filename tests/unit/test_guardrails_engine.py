"""The guardrail engine without a gateway: spans and masks, keyword rules, where the text
of each operation is, stream events, and LiteLLM's config names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.gateway_settings.guardrail_policy import GuardrailMode, GuardrailPolicy, PiiAction
from app.guardrails.base import Span, apply_spans
from app.guardrails.keywords import KeywordGuard
from app.guardrails.stream import _event_text
from app.guardrails.texts import answer_text, request_slots
from app.providers.base import Operation


def _policy(**fields: Any) -> GuardrailPolicy:
    return GuardrailPolicy(name="g", guardrail="keywords", **fields)


def test_overlapping_spans_give_way_to_the_longer_and_numbering_restores() -> None:
    text = "mail jane@example.org and x@y.io"
    first, second = text.index("jane"), text.index("x@")
    spans = [
        Span(first, first + 16, "EMAIL_ADDRESS", PiiAction.MASK, 1.0),
        Span(first + 5, first + 16, "URL", PiiAction.MASK, 0.5),
        Span(second, len(text), "EMAIL_ADDRESS", PiiAction.MASK, 1.0),
    ]
    verdict = apply_spans([text], [spans], _policy(output_parse_pii=True))
    assert verdict.texts == ["mail <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>"]
    assert verdict.restore == {
        "<EMAIL_ADDRESS_1>": "jane@example.org",
        "<EMAIL_ADDRESS_2>": "x@y.io",
    }
    plain = apply_spans([text], [spans], _policy())
    assert plain.texts == ["mail <EMAIL_ADDRESS> and <EMAIL_ADDRESS>"] and plain.restore == {}


def test_a_block_wins_unless_the_guardrail_only_masks_records() -> None:
    spans = [[Span(0, 4, "KEYWORD", PiiAction.BLOCK)]]
    assert apply_spans(["evil"], spans, _policy()).blocked == "KEYWORD"
    logged = apply_spans(["evil"], spans, _policy(mode=GuardrailMode.LOGGING_ONLY))
    assert (logged.blocked, logged.texts) == (None, ["<KEYWORD>"])


def test_keywords_match_whole_words_case_insensitively_and_patterns_as_written() -> None:
    guard = KeywordGuard(_policy(keywords=("falcon", "top secret"), patterns=(r"ACME-\d+",)))
    text = "Falcons? No: a FALCON, top  secret, Top Secret and ACME-12, acme-13"
    found = [(s.entity, text[s.start : s.end]) for s in guard.find(text)]
    assert found == [("KEYWORD", "FALCON"), ("KEYWORD", "Top Secret"), ("PATTERN", "ACME-12")]


@pytest.mark.parametrize(
    ("op", "body", "texts"),
    [
        (
            Operation.CHAT,
            {
                "messages": [
                    {"role": "system", "content": "s"},
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "t"},
                            {"type": "image_url", "image_url": {"url": "u"}},
                        ],
                    },
                ]
            },
            ["s", "t"],
        ),
        (Operation.COMPLETION, {"prompt": ["a", "b"]}, ["a", "b"]),
        (Operation.EMBEDDING, {"input": [[1, 2], "c"]}, ["c"]),
        (
            Operation.MESSAGES,
            {
                "system": "sys",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "m"}]}],
            },
            ["sys", "m"],
        ),
        (
            Operation.RESPONSES,
            {
                "instructions": "i",
                "input": [{"role": "user", "content": [{"type": "input_text", "text": "r"}]}],
            },
            ["i", "r"],
        ),
    ],
)
def test_every_text_a_call_sends_is_a_slot(
    op: Operation, body: dict[str, Any], texts: list[str]
) -> None:
    slots = request_slots(op, body)
    assert [s.text for s in slots] == texts
    for slot in slots:
        slot.replace(slot.text.upper())
    assert [s.text for s in request_slots(op, body)] == [t.upper() for t in texts]


def test_answers_and_stream_events_give_their_text() -> None:
    _, slots = answer_text(Operation.CHAT, b'{"choices":[{"message":{"content":"hi"}}]}')
    assert [s.text for s in slots] == ["hi"]
    _, slots = answer_text(Operation.MESSAGES, b'{"content":[{"type":"text","text":"yo"}]}')
    assert [s.text for s in slots] == ["yo"]
    assert answer_text(Operation.CHAT, b"not json") == (None, [])
    assert _event_text({"choices": [{"delta": {"content": "a"}}]}) == "a"
    assert _event_text({"type": "content_block_delta", "delta": {"text": "b"}}) == "b"
    assert _event_text({"type": "response.output_text.delta", "delta": "c"}) == "c"


def test_litellm_names_map_to_policy_fields_and_bad_patterns_are_refused() -> None:
    entry = {
        "guardrail_name": "pii",
        "litellm_params": {
            "guardrail": "presidio",
            "presidio_score_thresholds": {"PHONE_NUMBER": 0.3},
            "presidio_allow_list": ["ok@example.com"],
            "presidio_analyzer_api_base": "http://presidio:3000/",
            "output_parse_pii": True,
        },
    }
    policy = GuardrailPolicy.from_entry(entry)
    assert policy.score_thresholds == {"PHONE_NUMBER": 0.3}
    assert policy.allow_list == ("ok@example.com",)
    assert policy.analyzer_api_base == "http://presidio:3000"
    assert policy.output_parse_pii is True
    with pytest.raises(ValidationError, match="invalid regular expression"):
        GuardrailPolicy.from_entry(
            {"guardrail_name": "k", "litellm_params": {"guardrail": "keywords", "patterns": ["("]}}
        )


def test_ad_hoc_recognizers_may_come_from_a_presidio_json_file(tmp_path: Path) -> None:
    recognizers = [
        {
            "name": "Employee id",
            "supported_language": "en",
            "supported_entity": "EMPLOYEE_ID",
            "patterns": [{"name": "emp", "regex": "EMP-\\d{6}", "score": 0.9}],
            "context": ["employee"],
        }
    ]
    path = tmp_path / "recognizers.json"
    path.write_text(json.dumps(recognizers))
    params = {"guardrail": "presidio", "presidio_ad_hoc_recognizers": str(path)}
    policy = GuardrailPolicy.from_entry({"guardrail_name": "p", "litellm_params": params})
    assert [r.supported_entity for r in policy.ad_hoc_recognizers] == ["EMPLOYEE_ID"]
    params["presidio_ad_hoc_recognizers"] = str(tmp_path / "missing.json")
    with pytest.raises(ValidationError, match="cannot read the recognizers file"):
        GuardrailPolicy.from_entry({"guardrail_name": "p", "litellm_params": params})
