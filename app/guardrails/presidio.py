"""Presidio in-process: pattern recognizers over the no-op NLP engine, fully offline.

``presidio_analyzer`` is imported only when a Presidio guardrail is configured (about
100 MB and a second of import). One engine serves every Presidio guardrail of the
process; each policy brings its own entities, thresholds, allow list and ad-hoc
recognizers. Analysis of more than a few hundred characters runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from typing import Any

from app.gateway_settings.guardrail_policy import GuardrailPolicy, PiiAction
from app.guardrails.base import Guard, Span, Verdict, apply_spans
from app.guardrails.errors import GuardrailUnavailableError
from app.settings import offline_presidio

__all__ = ["PresidioGuard", "analyzer", "spans_of"]

_INLINE_CHARS = 256
"""Texts up to this size are analyzed on the event loop (measured under 0.7 ms, less than
a thread hop's latency under load); longer ones (6 ms for 2 KB of prose) in a thread."""
_lock = threading.Lock()
_engines: dict[tuple[str | None, str, tuple[str, ...]], Any] = {}


def analyzer(
    spacy_model: str | None = None, language: str = "en", phone_regions: tuple[str, ...] = ()
) -> Any:
    """The process's analyzer engine (one per spaCy model and phone regions), built on first
    use. Without a model, pattern recognizers only over the no-op NLP engine; a model must
    be installed. Fewer phone regions cost less: the phone recognizer parses every number
    once per region (about 20 ms for 2 KB dense with numbers with the default eight, 6 ms
    with one)."""
    key = (spacy_model, language if spacy_model else "en", phone_regions)
    with _lock:
        if key not in _engines:
            offline_presidio()
            # Without NLP artifacts it says so at INFO on every call.
            logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import NoOpNlpEngine, SpacyNlpEngine

            models = [{"lang_code": key[1], "model_name": spacy_model or "no_op"}]
            if spacy_model is None:
                nlp: Any = NoOpNlpEngine(models=models)
            elif importlib.util.find_spec(spacy_model) is None:
                raise GuardrailUnavailableError(f"The spaCy model {spacy_model} is not installed.")
            else:
                nlp = SpacyNlpEngine(models=models)
            engine = AnalyzerEngine(nlp_engine=nlp, supported_languages=[key[1]])
            if phone_regions:
                from presidio_analyzer.predefined_recognizers import PhoneRecognizer

                engine.registry.remove_recognizer("PhoneRecognizer")
                regional = PhoneRecognizer(
                    supported_language=key[1], supported_regions=list(phone_regions)
                )
                engine.registry.add_recognizer(regional)
            engine.analyze("warm up: a@example.com 4111 1111 1111 1111", language=key[1])
            _engines[key] = engine
        return _engines[key]


def _recognizers(policy: GuardrailPolicy) -> list[Any]:
    from presidio_analyzer import Pattern, PatternRecognizer

    out = []
    for index, spec in enumerate(policy.ad_hoc_recognizers):
        patterns = [
            Pattern(str(p.get("name") or f"p{i}"), str(p["regex"]), float(p.get("score", 0.5)))
            for i, p in enumerate(spec.patterns)
        ]
        options: dict[str, Any] = {"patterns": patterns} if patterns else {}
        if spec.deny_list:
            options["deny_list"] = list(spec.deny_list)
        name = spec.name or f"{policy.name}-{index}"
        out.append(
            PatternRecognizer(
                supported_entity=spec.supported_entity,
                name=name,
                supported_language=policy.language,
                **options,
            )
        )
    return out


def _ad_hoc_entities(policy: GuardrailPolicy) -> set[str]:
    return {r.supported_entity for r in policy.ad_hoc_recognizers}


def spans_of(policy: GuardrailPolicy, results: list[Any]) -> list[Span]:
    """Analyzer results (objects or JSON dicts) as spans, filtered by the policy."""
    spans = []
    for result in results:
        fields: dict[str, Any] = result if isinstance(result, dict) else vars(result)
        entity, score = str(fields["entity_type"]), float(fields["score"])
        listed = entity in policy.pii_entities or entity in _ad_hoc_entities(policy)
        if policy.pii_entities and not listed:
            continue
        floor = policy.score_thresholds.get(entity, policy.threshold or 0.0)
        if score < floor:
            continue
        action = policy.pii_entities.get(entity, PiiAction.MASK)
        spans.append(Span(int(fields["start"]), int(fields["end"]), entity, action, score))
    return spans


class PresidioGuard(Guard):
    def __init__(self, policy: GuardrailPolicy) -> None:
        super().__init__(policy)
        self._ad_hoc: list[Any] | None = None
        extra = [r.supported_entity for r in policy.ad_hoc_recognizers]
        self._entities = list(policy.pii_entities) + extra if policy.pii_entities else None

    async def start(self) -> None:
        await asyncio.to_thread(self._prepare)

    def _prepare(self) -> Any:
        policy = self.policy
        engine = analyzer(policy.spacy_model, policy.language, policy.phone_regions)
        if self._ad_hoc is None:
            self._ad_hoc = _recognizers(self.policy)
        return engine

    def _analyze(self, texts: list[str]) -> list[list[Span]]:
        engine = self._prepare()
        allow = list(self.policy.allow_list) or None
        return [
            spans_of(
                self.policy,
                engine.analyze(
                    text,
                    language=self.policy.language,
                    entities=self._entities,
                    ad_hoc_recognizers=self._ad_hoc,
                    allow_list=allow,
                ),
            )
            if text
            else []
            for text in texts
        ]

    def find_now(self, text: str) -> list[Span] | None:
        if self._ad_hoc is None or len(text) > 4 * _INLINE_CHARS:
            return None  # the engine is still loading, or the text is long
        return self._analyze([text])[0]

    async def check(self, texts: list[str], roles: list[str]) -> Verdict:
        if self._ad_hoc is not None and sum(map(len, texts)) <= _INLINE_CHARS:
            found = self._analyze(texts)
        else:
            found = await asyncio.to_thread(self._analyze, texts)
        return apply_spans(texts, found, self.policy)
