"""GraphQL types of the run-time settings (never their secrets)."""

from __future__ import annotations

from enum import Enum

import strawberry

from app.config import RouterSettings as RouterRow
from app.config import RoutingStrategy
from app.gateway_settings.guardrail_policy import (
    Fallback,
    GuardrailKind,
    GuardrailMode,
    OnFlagged,
    PiiAction,
)
from app.gateway_settings.guardrail_policy import GuardrailPolicy as PolicyRow
from app.gateway_settings.sections import (
    CacheMode,
    CacheScope,
    CacheType,
    EffectiveSettings,
)
from app.gateway_settings.sections import (
    CacheSettings as CacheRow,
)
from app.gateway_settings.sections import (
    HealthCheckSettings as HealthRow,
)
from graphql_schema.keys.errors import UserError, camel
from graphql_schema.settings.guardrail_fields import AdHocRecognizer, EntityScore, ad_hoc_types

__all__ = [
    "CacheSettings",
    "GatewaySettings",
    "GeneralSettings",
    "GuardrailPolicy",
    "HealthCheckSettings",
    "RouterSettings",
]

strawberry.enum(RoutingStrategy, name="RoutingStrategy")
strawberry.enum(CacheType, name="CacheType")
strawberry.enum(CacheMode, name="CacheMode")
strawberry.enum(CacheScope, name="CacheScope")
strawberry.enum(GuardrailKind, name="GuardrailKind")
strawberry.enum(GuardrailMode, name="GuardrailMode")
strawberry.enum(PiiAction, name="PiiAction")


@strawberry.enum
class SettingSource(Enum):
    CONFIG = "config"
    DATABASE = "database"


@strawberry.type
class FallbackRule:
    """When ``model`` fails, try ``fallbacks`` in order."""

    model: str
    fallbacks: list[str]


@strawberry.type
class ModelGroupAlias:
    alias: str
    model: str


def _rules(rules: list[dict[str, list[str]]]) -> list[FallbackRule]:
    return [
        FallbackRule(model=model, fallbacks=list(targets))
        for rule in rules
        for model, targets in rule.items()
    ]


@strawberry.type
class RouterSettings:
    routing_strategy: RoutingStrategy
    num_retries: int
    timeout: float
    stream_timeout: float | None
    retry_after: float
    allowed_fails: int
    cooldown_time: float
    fallbacks: list[FallbackRule]
    context_window_fallbacks: list[FallbackRule]
    content_policy_fallbacks: list[FallbackRule]
    model_group_aliases: list[ModelGroupAlias]
    overridden: list[str] = strawberry.field(
        description="Fields changed at run time (the others are config.yaml's)."
    )

    @classmethod
    def of(cls, row: RouterRow, overridden: tuple[str, ...]) -> RouterSettings:
        return cls(
            routing_strategy=row.routing_strategy,
            num_retries=row.num_retries,
            timeout=row.timeout,
            stream_timeout=row.stream_timeout,
            retry_after=row.retry_after,
            allowed_fails=row.allowed_fails,
            cooldown_time=row.cooldown_time,
            fallbacks=_rules(row.fallbacks),
            context_window_fallbacks=_rules(row.context_window_fallbacks),
            content_policy_fallbacks=_rules(row.content_policy_fallbacks),
            model_group_aliases=[
                ModelGroupAlias(alias=alias, model=model)
                for alias, model in sorted(row.model_group_alias.items())
            ],
            overridden=[_camel(name) for name in overridden],
        )


@strawberry.type
class HealthCheckSettings:
    """Background probes of every deployment."""

    enabled: bool
    interval: float = strawberry.field(description="Seconds between rounds of probes.")
    timeout: float = strawberry.field(description="Seconds one probe may take.")
    overridden: bool

    @classmethod
    def of(cls, row: HealthRow, overridden: bool) -> HealthCheckSettings:
        return cls(
            enabled=row.enabled, interval=row.interval, timeout=row.timeout, overridden=overridden
        )


@strawberry.type
class CacheSettings:
    """The response cache."""

    enabled: bool
    type: CacheType
    ttl: int = strawberry.field(description="Seconds an entry lives.")
    namespace: str | None
    max_entry_bytes: int
    call_types: list[str]
    mode: CacheMode = strawberry.field(
        description="DEFAULT_OFF: only requests that send cache: {use-cache: true} are cached."
    )
    scope: CacheScope = strawberry.field(
        description="Who shares entries: one organization (the default), team or key, or all."
    )
    charge_hits: bool = strawberry.field(
        description="Whether answers from the cache count against budgets (free by default)."
    )
    max_size_bytes: int = strawberry.field(description="The in-memory backend's bound.")
    s3_bucket_name: str | None
    s3_region_name: str | None
    s3_endpoint_url: str | None
    s3_has_credentials: bool = strawberry.field(
        description="Whether config.yaml gives S3 credentials (never shown here)."
    )
    redis_dedicated: bool = strawberry.field(
        description="Whether the cache has a Redis of its own (else the gateway's)."
    )
    overridden: bool

    @classmethod
    def of(cls, row: CacheRow, overridden: bool) -> CacheSettings:
        return cls(
            enabled=row.enabled,
            type=row.type,
            ttl=row.ttl,
            namespace=row.namespace,
            max_entry_bytes=row.max_entry_bytes,
            call_types=list(row.call_types),
            mode=row.mode,
            scope=row.scope,
            charge_hits=row.charge_hits,
            max_size_bytes=row.max_size_bytes,
            s3_bucket_name=row.s3_bucket_name,
            s3_region_name=row.s3_region_name,
            s3_endpoint_url=row.s3_endpoint_url,
            s3_has_credentials=row.s3_aws_access_key_id is not None,
            redis_dedicated=row.redis_url is not None,
            overridden=overridden,
        )


@strawberry.type
class PiiEntityRule:
    entity: str
    action: PiiAction


@strawberry.type
class GuardrailPolicy:
    name: str
    guardrail: GuardrailKind
    mode: GuardrailMode
    default_on: bool
    pii_entities: list[PiiEntityRule]
    api_base: str | None
    has_api_key: bool
    threshold: float | None
    source: SettingSource
    score_thresholds: list[EntityScore]
    allow_list: list[str]
    ad_hoc_recognizers: list[AdHocRecognizer]
    output_parse_pii: bool
    analyzer_api_base: str | None
    anonymizer_api_base: str | None
    language: str
    spacy_model: str | None
    phone_regions: list[str]
    keywords: list[str]
    patterns: list[str]
    keyword_action: PiiAction
    on_flagged: OnFlagged
    timeout: float
    unreachable_fallback: Fallback
    stream_hold: bool

    @classmethod
    def of(cls, row: PolicyRow) -> GuardrailPolicy:
        return cls(
            name=row.name,
            guardrail=row.guardrail,
            mode=row.mode,
            default_on=row.default_on,
            pii_entities=[
                PiiEntityRule(entity=entity, action=action)
                for entity, action in sorted(row.pii_entities.items())
            ],
            api_base=row.api_base,
            has_api_key=row.api_key is not None,
            threshold=row.threshold,
            source=SettingSource.CONFIG if row.from_config else SettingSource.DATABASE,
            score_thresholds=[
                EntityScore(entity=e, score=v) for e, v in sorted(row.score_thresholds.items())
            ],
            allow_list=list(row.allow_list),
            ad_hoc_recognizers=ad_hoc_types(row),
            output_parse_pii=row.output_parse_pii,
            analyzer_api_base=row.analyzer_api_base,
            anonymizer_api_base=row.anonymizer_api_base,
            language=row.language,
            spacy_model=row.spacy_model,
            phone_regions=list(row.phone_regions),
            keywords=list(row.keywords),
            patterns=list(row.patterns),
            keyword_action=row.keyword_action,
            on_flagged=row.on_flagged,
            timeout=row.timeout,
            unreachable_fallback=row.unreachable_fallback,
            stream_hold=row.stream_hold,
        )


@strawberry.type
class GeneralSettings:
    """Settings fixed at start (config.yaml and environment); secrets only as hints."""

    database_kind: str
    redis_enabled: bool
    oidc_enabled: bool
    url_fetch_enabled: bool
    budget_alert_webhooks: int
    spend_log_retention_days: int | None
    master_key_hint: str | None = strawberry.field(
        description="The master key's last four characters; platform admins only."
    )


@strawberry.type
class GatewaySettings:
    router: RouterSettings
    health_checks: HealthCheckSettings
    cache: CacheSettings
    guardrails: list[GuardrailPolicy]
    general: GeneralSettings

    @classmethod
    def of(cls, settings: EffectiveSettings, general: GeneralSettings) -> GatewaySettings:
        return cls(
            router=RouterSettings.of(settings.router, settings.router_overridden),
            health_checks=HealthCheckSettings.of(
                settings.health_checks, settings.health_checks_overridden
            ),
            cache=CacheSettings.of(settings.cache, settings.cache_overridden),
            guardrails=[GuardrailPolicy.of(policy) for policy in settings.guardrails],
            general=general,
        )


@strawberry.type
class RouterSettingsPayload:
    settings: RouterSettings | None
    errors: list[UserError]


@strawberry.type
class HealthCheckSettingsPayload:
    settings: HealthCheckSettings | None
    errors: list[UserError]


@strawberry.type
class CacheSettingsPayload:
    settings: CacheSettings | None
    errors: list[UserError]


@strawberry.type
class FlushCachePayload:
    deleted: int | None = strawberry.field(
        description="Entries deleted (-1: the backend does not say)."
    )
    errors: list[UserError]


@strawberry.type
class GuardrailPolicyPayload:
    guardrail: GuardrailPolicy | None
    errors: list[UserError]


@strawberry.type
class DeleteGuardrailPolicyPayload:
    deleted_name: str | None
    errors: list[UserError]


def _camel(name: str) -> str:
    return "modelGroupAliases" if name == "model_group_alias" else camel(name)
