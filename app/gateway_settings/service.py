"""Run-time settings in ``gateway_settings``: one row per changed field or guardrail.

A router, health-check or cache field an admin changed is a row ``<section>.<field>``;
a guardrail policy is a row ``guardrail.<name>``. Writing one field never rewrites
another, so two admins changing different fields at once both win. ``null`` deletes the
row: the field falls back to ``config.yaml``. Every change is audited in its own
transaction, then announced so every instance reloads within a second.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import Actor, record
from app.auth.secrets import SecretBox
from app.config import GatewayConfig, RouterSettings
from app.db.statements import dialect_insert, table_of
from app.db.types import new_id, utcnow
from app.deployments.models import GatewaySetting
from app.deployments.service import DeploymentNotifier
from app.errors import BadRequestError, NotFoundError
from app.gateway_settings.guardrail_policy import GuardrailPolicy
from app.gateway_settings.sections import (
    CACHE_CONNECTION_FIELDS,
    ROUTER_FIELDS,
    CacheSettings,
    EffectiveSettings,
    HealthCheckSettings,
)
from app.security.upstream_urls import UpstreamUrlPolicy

__all__ = ["SECTIONS", "SettingsService", "effective_settings", "load_setting_rows"]

log = logging.getLogger("deltallm.settings")

SECTIONS: dict[str, tuple[str, ...]] = {
    "router": ROUTER_FIELDS,
    "health_checks": tuple(HealthCheckSettings.model_fields),
    "cache": tuple(f for f in CacheSettings.model_fields if f not in CACHE_CONNECTION_FIELDS),
}
_GUARDRAIL = "guardrail."
_PREFIXES = (*(f"{section}." for section in SECTIONS), _GUARDRAIL)
_SECRET = "api_key_encrypted"


def _first_error(exc: ValidationError) -> BadRequestError:
    """The first problem, naming the field it is about."""
    error = exc.errors()[0]
    path = ".".join(str(p) for p in error["loc"])
    field = str(error["loc"][0]) if error["loc"] else None
    return BadRequestError(f"{path}: {error['msg']}", param=field)


def _overlay(
    base: BaseModel, section: str, rows: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``base``'s fields with the section's stored ones over them, and which were stored."""
    values = base.model_dump()
    changed = []
    for name in SECTIONS[section]:
        key = f"{section}.{name}"
        if key in rows:
            values[name] = rows[key]
            changed.append(name)
    return values, tuple(changed)


def _section(
    model: type[BaseModel], base: BaseModel, section: str, rows: Mapping[str, Any]
) -> tuple[Any, tuple[str, ...]]:
    values, changed = _overlay(base, section, rows)
    try:
        return model.model_validate(values), changed
    except ValidationError as exc:
        log.warning("ignoring stored %s settings: %s", section, _first_error(exc).message)
        return base, ()


def _config_guardrails(config: GatewayConfig) -> dict[str, GuardrailPolicy]:
    """``config.yaml``'s guardrails by name (``check-config`` reports the invalid ones)."""
    policies: dict[str, GuardrailPolicy] = {}
    for entry in config.guardrails:
        try:
            policy = GuardrailPolicy.from_entry(entry)
        except ValidationError as exc:
            log.warning("skipping guardrail %s: %s", entry.get("guardrail_name"), exc)
            continue
        policies[policy.name] = policy
    return policies


def _guardrails(
    config: GatewayConfig, rows: Mapping[str, Any], box: SecretBox
) -> tuple[GuardrailPolicy, ...]:
    policies = _config_guardrails(config)
    for key, value in sorted(rows.items()):
        if not key.startswith(_GUARDRAIL) or not isinstance(value, dict):
            continue
        data = dict(value)
        encrypted = data.pop(_SECRET, None)
        if encrypted:
            data["api_key"] = box.decrypt(encrypted)
        try:
            policy = GuardrailPolicy.model_validate(data)
        except ValidationError as exc:
            log.warning("skipping stored guardrail %s: %s", key, exc)
            continue
        if policy.name not in policies:
            policies[policy.name] = policy
    return tuple(policies.values())


def effective_settings(
    config: GatewayConfig, rows: Mapping[str, Any], box: SecretBox
) -> EffectiveSettings:
    """``config.yaml``'s settings with the stored changes laid over them."""
    router, router_changed = _section(RouterSettings, config.router_settings, "router", rows)
    health, health_changed = _section(
        HealthCheckSettings, HealthCheckSettings.from_config(config), "health_checks", rows
    )
    cache, cache_changed = _section(CacheSettings, CacheSettings.from_config(config), "cache", rows)
    return EffectiveSettings(
        router=router,
        router_overridden=router_changed,
        health_checks=health,
        health_checks_overridden=bool(health_changed),
        cache=cache,
        cache_overridden=bool(cache_changed),
        guardrails=_guardrails(config, rows, box),
    )


async def load_setting_rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Every stored setting row, by key (markers and other tables' rows excluded)."""
    async with sessions() as session:
        rows = (await session.exec(select(GatewaySetting.key, GatewaySetting.value))).all()
    return {key: value for key, value in rows if key.startswith(_PREFIXES)}


class SettingsService:
    """Changes run-time settings; platform admins only (checked by the API)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        config: GatewayConfig,
        salt: str,
        notifier: DeploymentNotifier,
        urls: UpstreamUrlPolicy | None = None,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._box = SecretBox(salt)
        self._notifier = notifier
        self._urls = urls or UpstreamUrlPolicy()
        self._from_config = frozenset(_config_guardrails(config))

    async def current(self) -> EffectiveSettings:
        return effective_settings(self._config, await load_setting_rows(self._sessions), self._box)

    async def update_section(
        self, actor: Actor, section: str, changes: Mapping[str, Any]
    ) -> EffectiveSettings:
        """Store ``changes`` (``None`` returns a field to ``config.yaml``'s value)."""
        fields = SECTIONS[section]
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise BadRequestError(f"unknown {section} settings: {unknown}", param=section)
        endpoint = changes.get("s3_endpoint_url") if section == "cache" else None
        if isinstance(endpoint, str):
            await self._urls.check(endpoint, "s3_endpoint_url")
        rows = await load_setting_rows(self._sessions)
        proposed = {k: v for k, v in rows.items() if k.startswith(f"{section}.")}
        for name, value in changes.items():
            if value is None:
                proposed.pop(f"{section}.{name}", None)
            else:
                proposed[f"{section}.{name}"] = value
        proposed = self._canonical(section, proposed)
        before = {k.partition(".")[2]: v for k, v in rows.items() if k.startswith(f"{section}.")}
        async with self._sessions() as session, session.begin():
            for name, value in changes.items():
                key = f"{section}.{name}"
                if value is None:
                    await session.exec(delete(GatewaySetting).where(col(GatewaySetting.key) == key))
                else:
                    await _put(session, key, proposed[key], actor.id)
            after = dict(before)
            for name, value in changes.items():
                if value is None:
                    after.pop(name, None)
                else:
                    after[name] = proposed[f"{section}.{name}"]
            record(
                session,
                actor,
                f"settings.{section}.update",
                "settings",
                section,
                before=before,
                after=after,
            )
        await self._notifier.publish()
        return await self.current()

    def _canonical(self, section: str, proposed: Mapping[str, Any]) -> dict[str, Any]:
        """``proposed`` validated as a whole section, in canonical form (enum values,
        resolved aliases); raises :class:`BadRequestError` naming the first bad field."""
        model: type[BaseModel]
        base: BaseModel
        if section == "router":
            model, base = RouterSettings, self._config.router_settings
        elif section == "health_checks":
            model, base = HealthCheckSettings, HealthCheckSettings.from_config(self._config)
        else:
            model, base = CacheSettings, CacheSettings.from_config(self._config)
        values, _ = _overlay(base, section, proposed)
        try:
            dumped = model.model_validate(values).model_dump(mode="json")
        except ValidationError as exc:
            raise _first_error(exc) from None
        return {key: dumped[key.partition(".")[2]] for key in proposed}

    async def set_guardrail(
        self, actor: Actor, data: Mapping[str, Any], *, api_key: str | None, keep_key: bool
    ) -> GuardrailPolicy:
        """Create or replace the policy named ``data["name"]``.

        ``keep_key``: keep the stored API key (``api_key`` is then ignored).
        """
        name = str(data.get("name", ""))
        if name in self._from_config:
            raise BadRequestError(
                f"guardrail {name!r} is defined in config.yaml; change it there",
                param="name",
                code="defined_in_config",
            )
        for field in ("api_base", "analyzer_api_base", "anonymizer_api_base"):
            url = data.get(field)
            if isinstance(url, str):
                await self._urls.check(url, field)
        key = f"{_GUARDRAIL}{name}"
        async with self._sessions() as session, session.begin():
            row = (
                await session.exec(select(GatewaySetting).where(GatewaySetting.key == key))
            ).first()
            stored: dict[str, Any] = dict(row.value) if row is not None else {}
            encrypted = stored.get(_SECRET) if keep_key else None
            if not keep_key and api_key:
                encrypted = self._box.encrypt(api_key)
            try:
                policy = GuardrailPolicy.model_validate(
                    {**data, "api_key": self._box.decrypt(encrypted) if encrypted else None}
                )
            except ValidationError as exc:
                raise _first_error(exc) from None
            moved = stored.get("api_base") not in (None, policy.api_base)
            if keep_key and encrypted and policy.api_base is not None and moved:
                raise BadRequestError(
                    "give the API key again when api_base changes",
                    param="api_key",
                    code="api_key_required",
                )
            value = policy.stored(encrypted)
            await _put(session, key, value, actor.id)
            record(
                session,
                actor,
                "settings.guardrail.set",
                "guardrail",
                name,
                before=_public(stored) if row is not None else None,
                after=_public(value),
            )
        await self._notifier.publish()
        return policy

    async def delete_guardrail(self, actor: Actor, name: str) -> None:
        key = f"{_GUARDRAIL}{name}"
        async with self._sessions() as session, session.begin():
            row = (
                await session.exec(select(GatewaySetting).where(GatewaySetting.key == key))
            ).first()
            if row is None:
                if name in self._from_config:
                    raise BadRequestError(
                        f"guardrail {name!r} is defined in config.yaml; remove it there",
                        param="name",
                        code="defined_in_config",
                    )
                raise NotFoundError(f"no guardrail {name!r}", param="name")
            before = _public(dict(row.value))
            await session.delete(row)
            record(session, actor, "settings.guardrail.delete", "guardrail", name, before=before)
        await self._notifier.publish()


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored policy for the audit log: whether it has a key, never the key."""
    data = {k: v for k, v in stored.items() if k != _SECRET}
    data["has_api_key"] = bool(stored.get(_SECRET))
    return data


async def _put(session: AsyncSession, key: str, value: Any, by: str | None) -> None:
    now = utcnow()
    statement = dialect_insert(session, GatewaySetting)
    table = table_of(GatewaySetting)
    upsert = statement.values(
        id=new_id(), key=key, value=value, updated_by=by, created_at=now, updated_at=now
    ).on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"value": statement.excluded.value, "updated_by": by, "updated_at": now},
    )
    await session.exec(upsert)
