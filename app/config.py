"""The schema of ``config.yaml``: LiteLLM-compatible names, validated with exact paths.

Values here are already resolved (``os.environ/NAME`` is replaced in ``app.settings``).
Unknown keys are kept aside so the loader can warn about them once, by name.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.auth.errors import WeakPasswordError
from app.auth.passwords import check_policy
from app.config_sections import (
    BudgetAlertSettings,
    OidcSettings,
    RedisOutageSettings,
    Section,
    SignInSettings,
    UrlFetchSettings,
)
from app.observability.settings import MetricsSettings
from app.observability.tracing_settings import OtelSettings
from app.providers.naming import PROVIDERS, split_provider_model
from app.responses.settings import ResponsesStoreSettings
from app.users.emails import normalise_email

__all__ = [
    "DeploymentParams",
    "GatewayConfig",
    "GeneralSettings",
    "ModelEntry",
    "ModelInfo",
    "ModelMode",
    "RouterSettings",
    "RoutingStrategy",
]


class ModelMode(StrEnum):
    CHAT = "chat"
    COMPLETION = "completion"
    EMBEDDING = "embedding"
    IMAGE_GENERATION = "image_generation"
    AUDIO_TRANSCRIPTION = "audio_transcription"
    AUDIO_SPEECH = "audio_speech"
    MODERATION = "moderation"


class RoutingStrategy(StrEnum):
    SIMPLE_SHUFFLE = "simple-shuffle"
    ROUND_ROBIN = "round-robin"
    LEAST_BUSY = "least-busy"
    LATENCY_BASED = "latency-based-routing"
    COST_BASED = "cost-based-routing"
    USAGE_BASED = "usage-based-routing"


_STRATEGY_ALIASES = {
    "latency-based": "latency-based-routing",
    "cost-based": "cost-based-routing",
    "usage-based": "usage-based-routing",
    "usage-based-routing-v2": "usage-based-routing",
    "shuffle": "simple-shuffle",
}


class DeploymentParams(BaseModel):
    """``deltallm_params`` (alias ``litellm_params``) of one deployment.

    Keys not named here are provider defaults (``temperature``, ``max_tokens``, ...)
    applied when the caller does not set them.
    """

    model_config = ConfigDict(extra="allow")

    model: str
    api_base: str | None = None
    api_key: SecretStr | None = None
    api_version: str | None = None
    organization: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    stream_timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    rpm: int | None = Field(default=None, ge=0)
    tpm: int | None = Field(default=None, ge=0)
    weight: float = Field(default=1.0, ge=0)
    max_parallel_requests: int | None = Field(default=None, ge=1)
    input_cost_per_token: Decimal | None = Field(default=None, ge=0)
    output_cost_per_token: Decimal | None = Field(default=None, ge=0)
    cache_read_input_token_cost: Decimal | None = Field(default=None, ge=0)
    supports_responses_api: bool | None = None
    aws_access_key_id: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    aws_region_name: str | None = None
    aws_bedrock_runtime_endpoint: str | None = None
    guardrails: list[str] = Field(default_factory=list)
    """Guardrails every call routed to this deployment's model group runs."""

    @field_validator("model")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        provider, name = split_provider_model(value)
        if provider is None:
            raise ValueError(
                f'cannot tell the provider of "{value}": write it as provider/model '
                f"(providers: {', '.join(sorted(PROVIDERS))})"
            )
        if provider not in PROVIDERS:
            raise ValueError(f'unknown provider "{provider}"')
        if not name:
            raise ValueError(f'"{value}" names no model after the provider')
        return value

    @property
    def provider(self) -> str:
        provider, _ = split_provider_model(self.model)
        assert provider is not None
        return provider

    @property
    def upstream_model(self) -> str:
        _, name = split_provider_model(self.model)
        return name

    @property
    def defaults(self) -> dict[str, Any]:
        """Provider-default request params (the keys this schema does not name)."""
        return dict(self.model_extra or {})


class ModelInfo(Section):
    id: str | None = None
    mode: ModelMode | None = None
    base_model: str | None = None
    access_groups: list[str] = Field(default_factory=list)
    max_input_tokens: int | None = Field(default=None, gt=0)
    max_output_tokens: int | None = Field(default=None, gt=0)
    input_cost_per_token: Decimal | None = Field(default=None, ge=0)
    output_cost_per_token: Decimal | None = Field(default=None, ge=0)
    cache_read_input_token_cost: Decimal | None = Field(default=None, ge=0)


class ModelEntry(Section):
    model_name: str = Field(min_length=1)
    deltallm_params: DeploymentParams = Field(alias="litellm_params")
    model_info: ModelInfo = Field(default_factory=ModelInfo)

    @model_validator(mode="before")
    @classmethod
    def _accept_both_param_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and "deltallm_params" in data:
            data = dict(data)
            data["litellm_params"] = data.pop("deltallm_params")
        return data


class RouterSettings(Section):
    routing_strategy: RoutingStrategy = RoutingStrategy.SIMPLE_SHUFFLE
    num_retries: int = Field(default=2, ge=0, le=10)
    timeout: float = Field(default=600.0, gt=0)
    stream_timeout: float | None = Field(default=None, gt=0)
    retry_after: float = Field(default=0.0, ge=0)
    fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    context_window_fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    content_policy_fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    allowed_fails: int = Field(default=3, ge=1)
    cooldown_time: float = Field(default=30.0, ge=0)
    model_group_alias: dict[str, str] = Field(default_factory=dict)
    enable_health_checks: bool = False
    health_check_interval: float = Field(default=300.0, gt=0)
    redis_host: str | None = None
    redis_port: int | None = None
    redis_password: SecretStr | None = None

    @field_validator("routing_strategy", mode="before")
    @classmethod
    def _strategy_alias(cls, value: Any) -> Any:
        return _STRATEGY_ALIASES.get(value, value) if isinstance(value, str) else value

    @field_validator("model_group_alias", mode="before")
    @classmethod
    def _alias_objects(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (v.get("model") if isinstance(v, dict) else v) for k, v in value.items()}
        return value


class GeneralSettings(Section):
    master_key: SecretStr | None = None
    salt_key: SecretStr | None = None
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None
    background_health_checks: bool = False
    health_check_interval: float = Field(default=300.0, gt=0)
    max_parallel_requests: int | None = Field(default=None, ge=1)
    proxy_batch_write_at: float = Field(default=2.0, gt=0)
    spend_claim_idle: float = Field(default=30.0, gt=0)
    redis_namespace: str = Field(default="deltallm", pattern=r"^[A-Za-z0-9_.-]+$")
    run_migrations_on_start: bool = True
    database_connection_pool_limit: int | None = Field(default=None, ge=1, le=1000)
    """PostgreSQL connections each worker may hold open at most (None: the instance's
    share of :data:`app.settings.INSTANCE_CONNECTIONS`). Size it so that (limit x workers +
    the spend writer's 2) x instances stays below the server's ``max_connections`` minus
    headroom."""
    database_connection_timeout: float = Field(default=30.0, gt=0)
    """Seconds a request waits for a free database connection before failing."""
    database_query_timeout: float = Field(default=30.0, gt=0)
    """Seconds a PostgreSQL connection attempt or statement may take: a hung server is then
    an outage (503 / ``UNAVAILABLE``), not a request that never ends."""
    url_fetch: UrlFetchSettings = Field(default_factory=UrlFetchSettings)
    budget_alerts: BudgetAlertSettings = Field(default_factory=BudgetAlertSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    signin: SignInSettings = Field(default_factory=SignInSettings)
    redis_unavailable: RedisOutageSettings = Field(default_factory=RedisOutageSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    spend_log_retention_days: int | None = Field(default=None, ge=1)
    responses_store: ResponsesStoreSettings = Field(default_factory=ResponsesStoreSettings)
    spend_log_retention_interval: float = Field(default=3600.0, gt=0)
    """Seconds between purges of old spend logs (one instance of the cluster purges)."""
    max_reserved_output_tokens: int = Field(default=4096, ge=1)
    first_admin_email: str | None = None
    """Created as platform_admin at start while no platform_admin exists (with the password)."""
    first_admin_password: SecretStr | None = None
    require_mfa_for_admins: bool = False
    """Platform admins and co-admins signed in without MFA may only set it up."""
    max_connections: int = Field(default=2048, ge=1)
    """Connections and requests each worker serves at once; more are answered 503."""
    request_head_timeout: float = Field(default=10.0, gt=0)
    """Seconds a client has to send a request's line and headers."""
    allow_private_upstreams: bool = False
    """Admins may point deployments and guardrails at loopback and private addresses."""
    otel: OtelSettings = Field(default_factory=OtelSettings)
    graceful_shutdown_timeout: float = Field(default=30.0, gt=0, le=3600)
    """Seconds calls in flight have after SIGTERM; streams still open then are ended."""

    @field_validator("first_admin_email")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = normalise_email(value)
        local, _, domain = value.partition("@")
        if not local or not domain or any(ch.isspace() for ch in value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value

    @field_validator("first_admin_password")
    @classmethod
    def _policy(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None:
            try:
                check_policy(value.get_secret_value(), info.data.get("first_admin_email"))
            except WeakPasswordError as exc:
                raise ValueError(exc.message) from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _first_admin_pair(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("first_admin_email" in data) != (
            "first_admin_password" in data
        ):
            raise ValueError("first_admin_email and first_admin_password go together")
        return data


class GatewaySettings(Section):
    """``deltallm_settings`` (alias ``litellm_settings``)."""

    drop_params: bool = False
    num_retries: int | None = Field(default=None, ge=0, le=10)
    request_timeout: float | None = Field(default=None, gt=0)
    fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    context_window_fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    cache: bool = False
    cache_params: dict[str, Any] = Field(default_factory=dict)
    json_logs: bool = False
    callbacks: list[str] = Field(default_factory=list)


class GatewayConfig(Section):
    model_list: list[ModelEntry] = Field(default_factory=list)
    router_settings: RouterSettings = Field(default_factory=RouterSettings)
    general_settings: GeneralSettings = Field(default_factory=GeneralSettings)
    deltallm_settings: GatewaySettings = Field(
        default_factory=GatewaySettings, alias="litellm_settings"
    )
    environment_variables: dict[str, str] = Field(default_factory=dict)
    guardrails: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _accept_both_settings_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and "deltallm_settings" in data:
            data = dict(data)
            data["litellm_settings"] = data.pop("deltallm_settings")
        return data

    @model_validator(mode="after")
    def _merge_router_defaults(self) -> GatewayConfig:
        """``litellm_settings`` may carry retries/timeouts/fallbacks too; router_settings wins."""
        router, gateway = self.router_settings, self.deltallm_settings
        given = router.model_fields_set
        if gateway.num_retries is not None and "num_retries" not in given:
            router.num_retries = gateway.num_retries
        if gateway.request_timeout is not None and "timeout" not in given:
            router.timeout = gateway.request_timeout
        if gateway.fallbacks and "fallbacks" not in given:
            router.fallbacks = gateway.fallbacks
        if gateway.context_window_fallbacks and "context_window_fallbacks" not in given:
            router.context_window_fallbacks = gateway.context_window_fallbacks
        return self

    def unknown_keys(self) -> list[str]:
        """Paths of keys this schema does not know (to warn about, once)."""
        found: list[str] = []
        _collect_unknown(self, "", found)
        return found


def _collect_unknown(model: BaseModel, prefix: str, found: list[str]) -> None:
    if not isinstance(model, DeploymentParams):
        for key in model.model_extra or {}:
            found.append(f"{prefix}{key}")
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = type(model).model_fields[name].alias or name
        if isinstance(model, GatewayConfig | ModelEntry):
            key = name
        if isinstance(value, BaseModel):
            _collect_unknown(value, f"{prefix}{key}.", found)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _collect_unknown(item, f"{prefix}{key}[{index}].", found)
