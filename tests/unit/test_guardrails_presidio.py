"""Real Presidio (pattern recognizers, no NLP model) on real text: per-entity thresholds,
the allow list, extra regex and deny-list recognizers from config. One engine serves the
module (it is the process's own, built once)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.gateway_settings.guardrail_policy import GuardrailPolicy
from app.guardrails.errors import GuardrailUnavailableError
from app.guardrails.presidio import PresidioGuard, analyzer


@pytest.fixture(scope="module", autouse=True)
def engine() -> Any:
    return analyzer()


def _guard(**fields: Any) -> PresidioGuard:
    return PresidioGuard(GuardrailPolicy(name="pii", guardrail="presidio", **fields))


async def test_thresholds_per_entity_drop_weak_findings() -> None:
    text = "call 212-555-0123 or mail jane@example.com"
    loose = await _guard().check([text], ["user"])
    assert loose.texts == ["call <PHONE_NUMBER> or mail <EMAIL_ADDRESS>"]
    strict = await _guard(score_thresholds={"PHONE_NUMBER": 0.5}).check([text], ["user"])
    assert strict.texts == ["call 212-555-0123 or mail <EMAIL_ADDRESS>"]


async def test_the_allow_list_is_never_masked() -> None:
    guard = _guard(pii_entities={"EMAIL_ADDRESS": "MASK"}, allow_list=("support@example.com",))
    verdict = await guard.check(["support@example.com or jane@example.com"], ["user"])
    assert verdict.texts == ["support@example.com or <EMAIL_ADDRESS>"]


async def test_ad_hoc_regex_and_deny_list_recognizers_block_or_mask() -> None:
    guard = _guard(
        pii_entities={"EMAIL_ADDRESS": "MASK", "EMPLOYEE_ID": "BLOCK"},
        ad_hoc_recognizers=(
            {
                "supported_entity": "EMPLOYEE_ID",
                "patterns": ({"regex": r"EMP-\d{6}", "score": 0.9},),
            },
            {"supported_entity": "CODENAME", "deny_list": ("Falcon",)},
        ),
    )
    blocked = await guard.check(["badge EMP-123456 please"], ["user"])
    assert blocked.blocked == "EMPLOYEE_ID" and blocked.texts is None
    masked = await guard.check(["Project Falcon, mail a@example.com"], ["user"])
    assert masked.texts == ["Project <CODENAME>, mail <EMAIL_ADDRESS>"]


async def test_text_without_findings_passes_unchanged() -> None:
    verdict = await _guard().check(["Nothing personal here.", ""], ["user", "user"])
    assert (verdict.blocked, verdict.texts, verdict.flagged) == (None, None, False)


async def test_a_spacy_model_that_is_not_installed_refuses_rather_than_downloads() -> None:
    guard = _guard(spacy_model="xx_not_installed_model")
    with pytest.raises(GuardrailUnavailableError, match="not installed"):
        await guard.check(["jane@example.com"], ["user"])
    with pytest.raises(ValidationError, match="needs presidio_spacy_model"):
        GuardrailPolicy(name="pii", guardrail="presidio", language="de")


async def test_phone_regions_narrow_which_numbers_are_phone_numbers() -> None:
    text = "ring 020 7946 0018 or 212-555-0123"
    everywhere = await _guard(pii_entities={"PHONE_NUMBER": "MASK"}).check([text], ["user"])
    assert everywhere.texts == ["ring <PHONE_NUMBER> or <PHONE_NUMBER>"]
    us = _guard(pii_entities={"PHONE_NUMBER": "MASK"}, phone_regions=("US",))
    assert (await us.check([text], ["user"])).texts == ["ring 020 7946 0018 or <PHONE_NUMBER>"]
