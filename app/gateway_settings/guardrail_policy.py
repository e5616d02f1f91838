"""Guardrail policies as admins define them (``guardrails[]`` in ``config.yaml`` or the
admin API): the kind, the mode, and each kind's options in LiteLLM's names."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from app.gateway_settings.strict import Strict

__all__ = [
    "AdHocRecognizer",
    "Fallback",
    "GuardrailKind",
    "GuardrailMode",
    "GuardrailPolicy",
    "OnFlagged",
    "PiiAction",
]


class GuardrailKind(StrEnum):
    PRESIDIO = "presidio"
    LAKERA = "lakera_v2"
    KEYWORDS = "keywords"
    """Built in: block (or mask) listed words and regular expressions."""


class GuardrailMode(StrEnum):
    PRE_CALL = "pre_call"
    DURING_CALL = "during_call"
    POST_CALL = "post_call"
    LOGGING_ONLY = "logging_only"


class PiiAction(StrEnum):
    MASK = "MASK"
    BLOCK = "BLOCK"


class OnFlagged(StrEnum):
    BLOCK = "block"
    MONITOR = "monitor"


class Fallback(StrEnum):
    FAIL_OPEN = "fail_open"
    FAIL_CLOSED = "fail_closed"


class AdHocRecognizer(Strict):
    """An extra Presidio recognizer from config: regular expressions and/or a deny list."""

    name: str = Field(default="", max_length=64)
    supported_entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")
    patterns: tuple[dict[str, Any], ...] = ()
    deny_list: tuple[str, ...] = ()
    supported_language: str | None = None
    """Accepted from Presidio's recognizer files; the policy's language applies."""
    context: tuple[str, ...] = ()
    """Accepted from Presidio's recognizer files; context words need an NLP model."""

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, values: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        for pattern in values:
            _regex(pattern.get("regex"))
            score = pattern.get("score", 0.5)
            if not isinstance(score, int | float) or not 0 <= score <= 1:
                raise ValueError("pattern score must be a number between 0 and 1")
        return values


def _regex(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a pattern needs a non-empty `regex`")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


class GuardrailPolicy(Strict):
    """One guardrail (``guardrails[]`` in ``config.yaml``) as the gateway applies it."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    guardrail: GuardrailKind
    mode: GuardrailMode = GuardrailMode.PRE_CALL
    default_on: bool = False
    pii_entities: dict[str, PiiAction] = Field(default_factory=dict)
    api_base: str | None = None
    api_key: SecretStr | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)
    score_thresholds: dict[str, float] = Field(default_factory=dict)
    """Per entity minimum Presidio score (LiteLLM's ``presidio_score_thresholds``)."""
    allow_list: tuple[str, ...] = ()
    """Values Presidio never reports (``presidio_allow_list``)."""
    ad_hoc_recognizers: tuple[AdHocRecognizer, ...] = ()
    """Extra regex / deny-list recognizers (``presidio_ad_hoc_recognizers``, inline)."""
    output_parse_pii: bool = False
    """Restore the values masked in the prompt where the answer repeats their tokens."""
    analyzer_api_base: str | None = None
    anonymizer_api_base: str | None = None
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    spacy_model: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{1,64}$")
    """An installed spaCy model (names, places); without one, pattern recognizers only."""
    phone_regions: tuple[str, ...] = ()
    """Regions the phone recognizer tries (``US``, ``GB``, ...); empty: Presidio's eight."""
    keywords: tuple[str, ...] = ()
    """``keywords`` guardrail: words matched case-insensitively on word boundaries."""
    patterns: tuple[str, ...] = ()
    """``keywords`` guardrail: regular expressions."""
    keyword_action: PiiAction = PiiAction.BLOCK
    on_flagged: OnFlagged = OnFlagged.BLOCK
    timeout: float = Field(default=5.0, gt=0, le=120)
    unreachable_fallback: Fallback = Fallback.FAIL_CLOSED
    stream_hold: bool = False
    """post_call on streams: hold the answer until it is checked (else checked at its end)."""
    from_config: bool = False

    @field_validator("ad_hoc_recognizers", mode="before")
    @classmethod
    def _recognizer_file(cls, value: Any) -> Any:
        """LiteLLM gives ``presidio_ad_hoc_recognizers`` as the path of a JSON file."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(Path(value).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the recognizers file {value}: {exc}") from None

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_regex(v) for v in values)

    @model_validator(mode="after")
    def _language_needs_a_model(self) -> GuardrailPolicy:
        if self.language != "en" and self.spacy_model is None:
            raise ValueError("a language other than en needs presidio_spacy_model")
        return self

    @field_validator("phone_regions")
    @classmethod
    def _regions(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for region in values:
            if len(region) != 2 or not region.isalpha() or not region.isupper():
                raise ValueError(f"phone regions are two capital letters like US, not {region!r}")
        return tuple(dict.fromkeys(values))

    @field_validator("score_thresholds")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        for entity, score in value.items():
            if not 0 <= score <= 1:
                raise ValueError(f"score threshold of {entity} must be between 0 and 1")
        return value

    @field_validator("pii_entities")
    @classmethod
    def _entity_names(cls, value: dict[str, PiiAction]) -> dict[str, PiiAction]:
        for entity in value:
            if not entity or not entity.replace("_", "").isalnum() or not entity.isupper():
                raise ValueError(f"entity names are upper case like EMAIL_ADDRESS, not {entity!r}")
        return value

    @field_validator("api_base", "analyzer_api_base", "anonymizer_api_base")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials; use api_key")
        return value.rstrip("/")

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> GuardrailPolicy:
        """A ``guardrails[]`` entry of ``config.yaml`` (LiteLLM's shape)."""
        params = dict(entry.get("litellm_params") or entry.get("deltallm_params") or {})
        return cls(
            name=entry.get("guardrail_name", ""),
            guardrail=params.get("guardrail", ""),
            mode=params.get("mode", GuardrailMode.PRE_CALL),
            default_on=bool(params.get("default_on", False)),
            pii_entities=params.get("pii_entities_config") or {},
            api_base=params.get("api_base"),
            api_key=params.get("api_key"),
            threshold=params.get("threshold"),
            from_config=True,
            **{field: params[name] for name, field in _ENTRY_FIELDS.items() if name in params},
        )

    def stored(self, encrypted_key: str | None) -> dict[str, Any]:
        """The database form: the API key only encrypted."""
        data = self.model_dump(mode="json", exclude={"api_key", "from_config"})
        data["api_key_encrypted"] = encrypted_key
        return data


_ENTRY_FIELDS = {
    "presidio_score_thresholds": "score_thresholds",
    "presidio_allow_list": "allow_list",
    "presidio_ad_hoc_recognizers": "ad_hoc_recognizers",
    "output_parse_pii": "output_parse_pii",
    "presidio_analyzer_api_base": "analyzer_api_base",
    "presidio_anonymizer_api_base": "anonymizer_api_base",
    "presidio_language": "language",
    "presidio_spacy_model": "spacy_model",
    "presidio_phone_regions": "phone_regions",
    "keywords": "keywords",
    "patterns": "patterns",
    "keyword_action": "keyword_action",
    "on_flagged": "on_flagged",
    "timeout": "timeout",
    "unreachable_fallback": "unreachable_fallback",
    "stream_hold": "stream_hold",
}
"""``litellm_params`` names of a ``guardrails[]`` entry and the policy fields they set."""
