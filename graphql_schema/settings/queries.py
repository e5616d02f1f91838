"""Reading the gateway's settings: any signed-in caller; secrets never, hints for admins."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from graphql_schema.context import GraphQLContext
from graphql_schema.permissions import signed_in
from graphql_schema.settings.types import GatewaySettings, GeneralSettings

__all__ = ["SettingsQueries"]

Ctx = Info[GraphQLContext, Any]


def _general(info: Ctx) -> GeneralSettings:
    runtime = info.context.runtime
    config = runtime.settings.config.general_settings
    master = runtime.settings.master_key.get_secret_value()
    admin = info.context.require_principal().is_platform_admin
    return GeneralSettings(
        database_kind=runtime.engine.dialect.name,
        redis_enabled=runtime.redis is not None,
        oidc_enabled=config.oidc.enabled,
        url_fetch_enabled=config.url_fetch.enabled,
        budget_alert_webhooks=len(config.budget_alerts.webhook_urls),
        spend_log_retention_days=config.spend_log_retention_days,
        master_key_hint=f"…{master[-4:]}" if admin and len(master) >= 16 else None,
    )


@strawberry.type
class SettingsQueries:
    @strawberry.field(extensions=signed_in())
    async def gateway_settings(self, info: Ctx) -> GatewaySettings:
        """The settings in force on this instance (config.yaml with run-time changes)."""
        return GatewaySettings.of(info.context.runtime.effective_settings, _general(info))
