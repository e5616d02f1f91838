"""Model deployments kept in the database, changed by platform admins.

Input is validated with the same models as ``config.yaml``'s ``model_list`` (so an error
names the field). ``api_base`` must be an http(s) URL with a host. ``api_key`` is stored
encrypted (:class:`SecretBox`) and never read back: views carry ``has_api_key`` instead.
Every change is audited (without secrets), then announced so every instance reloads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import Actor, record
from app.auth.secrets import SecretBox
from app.config import ModelEntry
from app.db.pagination import Page, paginate
from app.deployments.models import ModelDeployment
from app.errors import BadRequestError, NotFoundError
from app.providers.catalog import default_api_base
from app.security.upstream_urls import UpstreamUrlPolicy

__all__ = [
    "ENCRYPTED_KEY_FIELD",
    "DeploymentNotifier",
    "DeploymentService",
    "DeploymentView",
    "load_model_entries",
    "validate_entry",
]

log = logging.getLogger("deltallm.deployments")

ENCRYPTED_KEY_FIELD = "api_key_encrypted"
_RESERVED = frozenset({ENCRYPTED_KEY_FIELD})
_AWS_SECRETS = frozenset({"aws_secret_access_key", "aws_session_token"})


class DeploymentNotifier(Protocol):
    async def publish(self) -> None:
        """Announce that the deployments changed (every instance reloads)."""


@dataclass(frozen=True, slots=True)
class DeploymentView:
    """A deployment as admins see it: never its secret."""

    id: str
    model_name: str
    params: dict[str, Any]
    model_info: dict[str, Any]
    has_api_key: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    def audit(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "params": self.params,
            "model_info": self.model_info,
            "has_api_key": self.has_api_key,
        }


def _field_path(loc: Sequence[int | str]) -> str:
    names = {"litellm_params": "params", "deltallm_params": "params"}
    parts = [names.get(str(p), str(p)) for p in loc]
    return ".".join(parts) or "params"


def validate_entry(model_name: str, params: dict[str, Any], model_info: dict[str, Any]) -> None:
    """Raise :class:`BadRequestError` naming the first bad field."""
    if not isinstance(params, dict):
        raise BadRequestError("params must be an object", param="params")
    if not isinstance(model_info, dict):
        raise BadRequestError("model_info must be an object", param="model_info")
    for name in _RESERVED & params.keys():
        raise BadRequestError(f"{name} is reserved", param=f"params.{name}")
    for name in _AWS_SECRETS & params.keys():
        raise BadRequestError(
            f"params.{name}: not stored in the database; give AWS credentials in config.yaml "
            "or the gateway's AWS environment variables",
            param=f"params.{name}",
        )
    try:
        entry = ModelEntry.model_validate(
            {"model_name": model_name, "deltallm_params": params, "model_info": model_info}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        path = _field_path(first["loc"])
        raise BadRequestError(f"{path}: {first['msg']}", param=path) from None
    api_base = entry.deltallm_params.api_base
    if api_base is not None:
        parts = urlsplit(api_base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequestError(
                "params.api_base: must be an http(s) URL with a host", param="params.api_base"
            )
    if not model_name.strip():
        raise BadRequestError("model_name must not be blank", param="model_name")


class DeploymentService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        salt: str,
        notifier: DeploymentNotifier,
        urls: UpstreamUrlPolicy | None = None,
    ) -> None:
        self._sessions = sessions
        self._box = SecretBox(salt)
        self._notifier = notifier
        self._urls = urls or UpstreamUrlPolicy()

    async def _check_api_base(self, params: dict[str, Any]) -> None:
        api_base = params.get("api_base") or default_api_base(params.get("model"))
        if isinstance(api_base, str):
            await self._urls.check(api_base, "params.api_base")

    # --- reading ----------------------------------------------------------------

    @staticmethod
    def view(row: ModelDeployment) -> DeploymentView:
        params = {k: v for k, v in row.params.items() if k not in _RESERVED and k != "api_key"}
        return DeploymentView(
            id=row.id,
            model_name=row.model_name,
            params=params,
            model_info=dict(row.model_info),
            has_api_key=bool(row.params.get(ENCRYPTED_KEY_FIELD)),
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def page(
        self, *, first: int, after: str | None, model_name: str | None = None
    ) -> Page[ModelDeployment]:
        """Stored deployments in the order they were added (``model_name``: one group);
        :meth:`view` shows a row without its secrets."""
        query = select(ModelDeployment)
        if model_name is not None:
            query = query.where(ModelDeployment.model_name == model_name)
        async with self._sessions() as session:
            return await paginate(session, query, ModelDeployment, first=first, after=after)

    async def get(self, deployment_id: str) -> DeploymentView:
        async with self._sessions() as session:
            row = await session.get(ModelDeployment, deployment_id)
        if row is None:
            raise NotFoundError(f"no such deployment: {deployment_id}", param="id")
        return self.view(row)

    async def model_entries(self) -> list[dict[str, Any]]:
        """Every deployment as a ``model_list`` entry, its key decrypted (for the router)."""
        return await _entries(self._sessions, self._box)

    # --- changing ---------------------------------------------------------------

    def _stored_params(self, params: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
        """``params`` without the plain key; the key (new, kept or cleared) encrypted."""
        stored = {k: v for k, v in params.items() if k != "api_key"}
        if "api_key" in params:
            if params["api_key"]:
                stored[ENCRYPTED_KEY_FIELD] = self._box.encrypt(str(params["api_key"]))
        elif previous.get(ENCRYPTED_KEY_FIELD):
            if params.get("api_base") != previous.get("api_base"):
                raise BadRequestError(
                    "params.api_key: give the API key again when api_base changes",
                    param="params.api_key",
                )
            stored[ENCRYPTED_KEY_FIELD] = previous[ENCRYPTED_KEY_FIELD]
        return stored

    async def create(
        self,
        actor: Actor,
        model_name: str,
        params: dict[str, Any],
        model_info: dict[str, Any] | None = None,
    ) -> DeploymentView:
        model_info = {} if model_info is None else model_info
        validate_entry(model_name, params, model_info)
        await self._check_api_base(params)
        row = ModelDeployment(
            model_name=model_name.strip(),
            params=self._stored_params(params, {}),
            model_info=dict(model_info),
            created_by=actor.id,
        )
        async with self._sessions() as session, session.begin():
            session.add(row)
            await session.flush()
            view = self.view(row)
            record(session, actor, "deployment.create", "deployment", row.id, after=view.audit())
        await self._notifier.publish()
        return view

    async def update(
        self,
        actor: Actor,
        deployment_id: str,
        *,
        model_name: str | None = None,
        params: dict[str, Any] | None = None,
        model_info: dict[str, Any] | None = None,
    ) -> DeploymentView:
        """Replace what is given. Without ``api_key`` in ``params`` the stored key is kept
        (unless ``api_base`` changes); ``api_key: null`` removes it."""
        if params is not None:
            await self._check_api_base(params)
        async with self._sessions() as session, session.begin():
            row = await session.get(ModelDeployment, deployment_id)
            if row is None:
                raise NotFoundError(f"no such deployment: {deployment_id}", param="id")
            before = self.view(row)
            new_name = model_name if model_name is not None else row.model_name
            new_info = model_info if model_info is not None else dict(row.model_info)
            if params is not None:
                new_params = params
            else:
                new_params = {k: v for k, v in row.params.items() if k not in _RESERVED}
            validate_entry(new_name, new_params, new_info)
            stored = (
                self._stored_params(new_params, row.params)
                if params is not None
                else dict(row.params)
            )
            row.model_name = new_name.strip()
            row.params = stored
            row.model_info = dict(new_info)
            session.add(row)
            await session.flush()
            await session.refresh(row)
            after = self.view(row)
            record(
                session,
                actor,
                "deployment.update",
                "deployment",
                row.id,
                before=before.audit(),
                after=after.audit(),
            )
        await self._notifier.publish()
        return after

    async def delete(self, actor: Actor, deployment_id: str) -> DeploymentView:
        async with self._sessions() as session, session.begin():
            row = await session.get(ModelDeployment, deployment_id)
            if row is None:
                raise NotFoundError(f"no such deployment: {deployment_id}", param="id")
            before = self.view(row)
            await session.delete(row)
            record(session, actor, "deployment.delete", "deployment", row.id, before=before.audit())
        await self._notifier.publish()
        return before


async def load_model_entries(
    sessions: async_sessionmaker[AsyncSession], salt: str
) -> list[dict[str, Any]]:
    """Every deployment as a ``model_list`` entry, its key decrypted (for the router)."""
    return await _entries(sessions, SecretBox(salt))


async def _entries(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox
) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = (
            await session.exec(
                select(ModelDeployment).order_by(
                    col(ModelDeployment.created_at), col(ModelDeployment.id)
                )
            )
        ).all()
    entries: list[dict[str, Any]] = []
    for row in rows:
        params = {k: v for k, v in row.params.items() if k not in _RESERVED}
        token = row.params.get(ENCRYPTED_KEY_FIELD)
        if token:
            secret = box.decrypt(str(token))
            if secret is None:
                log.warning(
                    "deployment %s: its api_key was encrypted with another salt key", row.id
                )
            else:
                params["api_key"] = secret
        info = dict(row.model_info)
        if not info.get("id"):
            info["id"] = row.id
        entries.append(
            {"model_name": row.model_name, "deltallm_params": params, "model_info": info}
        )
    return entries
