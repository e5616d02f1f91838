"""Changing run-time settings (platform admins only); every instance applies them within 1 s.

Fields left out of an input keep their value; ``null`` returns a field to config.yaml's.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.config import RoutingStrategy
from app.errors import BadRequestError
from app.gateway_settings.guardrail_policy import (
    Fallback,
    GuardrailKind,
    GuardrailMode,
    OnFlagged,
    PiiAction,
)
from app.gateway_settings.sections import (
    CacheMode,
    CacheScope,
    CacheType,
)
from app.users.models import PlatformRole
from graphql_schema.context import GraphQLContext
from graphql_schema.keys.errors import user_errors
from graphql_schema.permissions import platform_role
from graphql_schema.settings.guardrail_fields import (
    AdHocRecognizerInput,
    EntityScoreInput,
    ad_hoc_rows,
)
from graphql_schema.settings.types import (
    CacheSettings,
    CacheSettingsPayload,
    DeleteGuardrailPolicyPayload,
    FlushCachePayload,
    GuardrailPolicy,
    GuardrailPolicyPayload,
    HealthCheckSettings,
    HealthCheckSettingsPayload,
    RouterSettings,
    RouterSettingsPayload,
)

__all__ = ["SettingsMutations"]

Ctx = Info[GraphQLContext, Any]
_ADMIN = platform_role(PlatformRole.PLATFORM_ADMIN)


@strawberry.input
class FallbackRuleInput:
    model: str
    fallbacks: list[str]


@strawberry.input
class ModelGroupAliasInput:
    alias: str
    model: str


@strawberry.input
class RouterSettingsInput:
    routing_strategy: RoutingStrategy | None = strawberry.UNSET
    num_retries: int | None = strawberry.UNSET
    timeout: float | None = strawberry.UNSET
    stream_timeout: float | None = strawberry.UNSET
    retry_after: float | None = strawberry.UNSET
    allowed_fails: int | None = strawberry.UNSET
    cooldown_time: float | None = strawberry.UNSET
    fallbacks: list[FallbackRuleInput] | None = strawberry.UNSET
    context_window_fallbacks: list[FallbackRuleInput] | None = strawberry.UNSET
    content_policy_fallbacks: list[FallbackRuleInput] | None = strawberry.UNSET
    model_group_aliases: list[ModelGroupAliasInput] | None = strawberry.UNSET


@strawberry.input
class HealthCheckSettingsInput:
    enabled: bool | None = strawberry.UNSET
    interval: float | None = strawberry.UNSET
    timeout: float | None = strawberry.UNSET


@strawberry.input
class CacheSettingsInput:
    enabled: bool | None = strawberry.UNSET
    type: CacheType | None = strawberry.UNSET
    ttl: int | None = strawberry.UNSET
    namespace: str | None = strawberry.UNSET
    max_entry_bytes: int | None = strawberry.UNSET
    call_types: list[str] | None = strawberry.UNSET
    mode: CacheMode | None = strawberry.UNSET
    scope: CacheScope | None = strawberry.UNSET
    charge_hits: bool | None = strawberry.UNSET
    max_size_bytes: int | None = strawberry.UNSET
    s3_bucket_name: str | None = strawberry.UNSET
    s3_region_name: str | None = strawberry.UNSET
    s3_endpoint_url: str | None = strawberry.UNSET


@strawberry.input
class PiiEntityRuleInput:
    entity: str
    action: PiiAction


@strawberry.input
class GuardrailPolicyInput:
    """Creates the policy or replaces it whole. Without ``apiKey`` the stored key is kept
    (give it again when ``apiBase`` changes); ``null`` removes it."""

    name: str
    guardrail: GuardrailKind
    mode: GuardrailMode = GuardrailMode.PRE_CALL
    default_on: bool = False
    pii_entities: list[PiiEntityRuleInput] = strawberry.field(default_factory=list)
    api_base: str | None = None
    api_key: str | None = strawberry.UNSET
    threshold: float | None = None
    score_thresholds: list[EntityScoreInput] = strawberry.field(default_factory=list)
    allow_list: list[str] = strawberry.field(default_factory=list)
    ad_hoc_recognizers: list[AdHocRecognizerInput] = strawberry.field(default_factory=list)
    output_parse_pii: bool = False
    analyzer_api_base: str | None = None
    anonymizer_api_base: str | None = None
    language: str = "en"
    spacy_model: str | None = None
    phone_regions: list[str] = strawberry.field(default_factory=list)
    keywords: list[str] = strawberry.field(default_factory=list)
    patterns: list[str] = strawberry.field(default_factory=list)
    keyword_action: PiiAction = PiiAction.BLOCK
    on_flagged: OnFlagged = OnFlagged.BLOCK
    timeout: float = 5.0
    unreachable_fallback: Fallback = Fallback.FAIL_CLOSED
    stream_hold: bool = False


_POLICY_FIELDS = (
    "allow_list",
    "output_parse_pii",
    "analyzer_api_base",
    "anonymizer_api_base",
    "language",
    "spacy_model",
    "phone_regions",
    "keywords",
    "patterns",
    "keyword_action",
    "on_flagged",
    "timeout",
    "unreachable_fallback",
    "stream_hold",
)


_CACHE_FIELDS = [
    "enabled",
    "type",
    "ttl",
    "namespace",
    "max_entry_bytes",
    "call_types",
    "mode",
    "scope",
    "charge_hits",
    "max_size_bytes",
    "s3_bucket_name",
    "s3_region_name",
    "s3_endpoint_url",
]


def _given(input: object, names: list[str]) -> dict[str, Any]:
    return {
        name: value for name in names if (value := getattr(input, name)) is not strawberry.UNSET
    }


def _rules(rules: list[FallbackRuleInput] | None) -> list[dict[str, list[str]]] | None:
    if rules is None:
        return None
    return [{rule.model: list(rule.fallbacks)} for rule in rules]


def _router_changes(input: RouterSettingsInput) -> dict[str, Any]:
    changes = _given(
        input,
        [
            "routing_strategy",
            "num_retries",
            "timeout",
            "stream_timeout",
            "retry_after",
            "allowed_fails",
            "cooldown_time",
        ],
    )
    for name in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
        value = getattr(input, name)
        if value is not strawberry.UNSET:
            changes[name] = _rules(value)
    aliases = input.model_group_aliases
    if aliases is not strawberry.UNSET:
        changes["model_group_alias"] = (
            None if aliases is None else {a.alias: a.model for a in aliases}
        )
    return changes


@strawberry.type
class SettingsMutations:
    @strawberry.mutation(extensions=_ADMIN)
    async def update_router_settings(
        self, info: Ctx, input: RouterSettingsInput
    ) -> RouterSettingsPayload:
        """Routing strategy, retries, timeouts, fallbacks, cooldowns and aliases."""
        principal = info.context.require_principal()
        service = info.context.runtime.gateway_settings
        try:
            settings = await service.update_section(
                principal.actor(), "router", _router_changes(input)
            )
        except BadRequestError as exc:
            return RouterSettingsPayload(settings=None, errors=user_errors(exc))
        return RouterSettingsPayload(
            settings=RouterSettings.of(settings.router, settings.router_overridden), errors=[]
        )

    @strawberry.mutation(extensions=_ADMIN)
    async def update_health_check_settings(
        self, info: Ctx, input: HealthCheckSettingsInput
    ) -> HealthCheckSettingsPayload:
        principal = info.context.require_principal()
        service = info.context.runtime.gateway_settings
        changes = _given(input, ["enabled", "interval", "timeout"])
        try:
            settings = await service.update_section(principal.actor(), "health_checks", changes)
        except BadRequestError as exc:
            return HealthCheckSettingsPayload(settings=None, errors=user_errors(exc))
        return HealthCheckSettingsPayload(
            settings=HealthCheckSettings.of(
                settings.health_checks, settings.health_checks_overridden
            ),
            errors=[],
        )

    @strawberry.mutation(extensions=_ADMIN)
    async def update_cache_settings(
        self, info: Ctx, input: CacheSettingsInput
    ) -> CacheSettingsPayload:
        principal = info.context.require_principal()
        service = info.context.runtime.gateway_settings
        changes = _given(input, _CACHE_FIELDS)
        try:
            settings = await service.update_section(principal.actor(), "cache", changes)
        except BadRequestError as exc:
            return CacheSettingsPayload(settings=None, errors=user_errors(exc))
        return CacheSettingsPayload(
            settings=CacheSettings.of(settings.cache, settings.cache_overridden), errors=[]
        )

    @strawberry.mutation(extensions=_ADMIN)
    async def flush_cache(self, info: Ctx) -> FlushCachePayload:
        """Empty the response cache (its namespace; the memory backend: this instance's)."""
        from app.cache.admin import flush_cache  # the cache package loads only when used

        principal = info.context.require_principal()
        runtime = info.context.runtime
        try:
            deleted = await flush_cache(runtime.gateway.cache, runtime.sessions, principal.actor())
        except BadRequestError as exc:
            return FlushCachePayload(deleted=None, errors=user_errors(exc))
        return FlushCachePayload(deleted=deleted, errors=[])

    @strawberry.mutation(extensions=_ADMIN)
    async def set_guardrail_policy(
        self, info: Ctx, input: GuardrailPolicyInput
    ) -> GuardrailPolicyPayload:
        """Create or replace a guardrail policy (config.yaml's cannot be changed here)."""
        principal = info.context.require_principal()
        data = {
            "name": input.name,
            "guardrail": input.guardrail,
            "mode": input.mode,
            "default_on": input.default_on,
            "pii_entities": {rule.entity: rule.action for rule in input.pii_entities},
            "api_base": input.api_base,
            "threshold": input.threshold,
            "score_thresholds": {rule.entity: rule.score for rule in input.score_thresholds},
            "ad_hoc_recognizers": ad_hoc_rows(input.ad_hoc_recognizers),
            **{name: getattr(input, name) for name in _POLICY_FIELDS},
        }
        keep = input.api_key is strawberry.UNSET
        try:
            policy = await info.context.runtime.gateway_settings.set_guardrail(
                principal.actor(),
                data,
                api_key=None if keep else input.api_key,
                keep_key=keep,
            )
        except BadRequestError as exc:
            return GuardrailPolicyPayload(guardrail=None, errors=user_errors(exc))
        return GuardrailPolicyPayload(guardrail=GuardrailPolicy.of(policy), errors=[])

    @strawberry.mutation(extensions=_ADMIN)
    async def delete_guardrail_policy(self, info: Ctx, name: str) -> DeleteGuardrailPolicyPayload:
        principal = info.context.require_principal()
        try:
            await info.context.runtime.gateway_settings.delete_guardrail(principal.actor(), name)
        except BadRequestError as exc:
            return DeleteGuardrailPolicyPayload(deleted_name=None, errors=user_errors(exc))
        return DeleteGuardrailPolicyPayload(deleted_name=name, errors=[])
