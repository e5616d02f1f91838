"""Managing virtual keys: create, list, update, block, revoke, regenerate.

Every change announces the affected key hashes so each instance drops them from its
cache within a second. The secret is returned once, at creation or regeneration.
``capped=True`` (every caller but a platform admin) applies :mod:`app.keys.caps`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import Actor, record, snapshot
from app.db.pagination import Page, paginate
from app.db.types import utcnow
from app.errors import BadRequestError, NotFoundError
from app.keys.bulk import BulkChange, BulkFailure, Outcome, change_many
from app.keys.caps import CAPPED_FIELDS, check_caps
from app.keys.invalidation import Invalidator
from app.keys.models import VirtualKey
from app.keys.secrets import display_parts, generate_secret, hash_key
from app.keys.spec import SPEC_FIELDS, KeySpec
from app.keys.status import KeySort, KeyStatus, status_condition
from app.orgs.models import Team
from app.users.models import User

__all__ = ["CreatedKey", "KeyCheck", "KeyService", "KeySpec"]

KeyCheck = Callable[[VirtualKey], None]
"""Raises when the caller may not change this key (run inside the change's transaction)."""


@dataclass(frozen=True)
class CreatedKey:
    key: VirtualKey
    secret: str


class KeyService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        salt: str,
        invalidator: Invalidator,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._salt = salt
        self._invalidator = invalidator
        self._clock = clock

    def hash(self, secret: str) -> str:
        return hash_key(secret, self._salt)

    async def create(
        self,
        spec: KeySpec,
        *,
        created_by: str | None = None,
        actor: Actor | None = None,
        check: KeyCheck | None = None,
        capped: bool = False,
    ) -> CreatedKey:
        """A new key; ``check`` sees it (owners set) before it is stored."""
        spec.validate(self._clock())
        secret = generate_secret()
        prefix, suffix = display_parts(secret)
        async with self._sessions() as session, session.begin():
            org_id = await self._owner_org(session, spec)
            if capped:
                await check_caps(
                    session,
                    team_id=spec.team_id,
                    org_id=org_id,
                    user_id=spec.user_id,
                    values={name: getattr(spec, name) for name in CAPPED_FIELDS},
                )
            key = VirtualKey(
                key_hash=self.hash(secret),
                key_prefix=prefix,
                key_suffix=suffix,
                team_id=spec.team_id,
                user_id=spec.user_id,
                org_id=org_id,
                created_by=created_by,
                **self._values(spec),
            )
            if check is not None:
                check(key)
            session.add(key)
            if actor is not None:
                await session.flush()
                record(
                    session, actor, "key.create", "key", key.id, org_id=org_id, after=snapshot(key)
                )
        await self._invalidator.publish([key.key_hash])
        return CreatedKey(key, secret)

    async def _owner_org(self, session: AsyncSession, spec: KeySpec) -> str | None:
        org_id = None
        if spec.team_id is not None:
            team = await session.get(Team, spec.team_id)
            if team is None:
                raise NotFoundError(f"no team {spec.team_id}", param="team_id")
            org_id = team.org_id
        if spec.user_id is not None and await session.get(User, spec.user_id) is None:
            raise NotFoundError(f"no user {spec.user_id}", param="user_id")
        return org_id

    @staticmethod
    def _values(spec: KeySpec) -> dict[str, Any]:
        values = {name: getattr(spec, name) for name in SPEC_FIELDS}
        values["model_max_budget"] = {k: str(v) for k, v in spec.model_max_budget.items()}
        return values

    async def get(self, key_id: str) -> VirtualKey:
        async with self._sessions() as session:
            key = await session.get(VirtualKey, key_id)
        if key is None:
            raise NotFoundError(f"no key {key_id}", param="key_id", code="key_not_found")
        return key

    async def list(
        self,
        *,
        team_id: str | None = None,
        user_id: str | None = None,
        include_revoked: bool = False,
    ) -> Sequence[VirtualKey]:
        query = select(VirtualKey).order_by(col(VirtualKey.created_at))
        if team_id is not None:
            query = query.where(VirtualKey.team_id == team_id)
        if user_id is not None:
            query = query.where(VirtualKey.user_id == user_id)
        if not include_revoked:
            query = query.where(col(VirtualKey.revoked_at).is_(None))
        async with self._sessions() as session:
            return (await session.exec(query)).all()

    async def page(
        self,
        *,
        org_ids: frozenset[str] | None,
        org_id: str | None = None,
        team_id: str | None = None,
        user_id: str | None = None,
        search: str | None = None,
        include_revoked: bool = False,
        status: KeyStatus | None = None,
        sort: KeySort = KeySort.CREATED,
        descending: bool = False,
        first: int = 50,
        after: str | None = None,
        count: bool = True,
    ) -> Page[VirtualKey]:
        """Keys inside ``org_ids`` (all keys when None), one page in ``sort`` order (then
        by id); ``search`` matches part of the alias or the start of the key's prefix;
        ``status`` keeps keys in that status (revoked ones only when asked for, by
        ``status`` or ``include_revoked``). Keys without expiry sort as expiring last."""
        query = select(VirtualKey)
        if org_ids is not None:
            query = query.where(col(VirtualKey.org_id).in_(org_ids))
        if org_id is not None:
            query = query.where(VirtualKey.org_id == org_id)
        if team_id is not None:
            query = query.where(VirtualKey.team_id == team_id)
        if user_id is not None:
            query = query.where(VirtualKey.user_id == user_id)
        if search:
            query = query.where(
                or_(
                    col(VirtualKey.alias).icontains(search, autoescape=True),
                    col(VirtualKey.key_prefix).startswith(search, autoescape=True),
                )
            )
        if status is not None:
            query = query.where(status_condition(status, self._clock()))
        elif not include_revoked:
            query = query.where(col(VirtualKey.revoked_at).is_(None))
        async with self._sessions() as session:
            return await paginate(
                session,
                query,
                VirtualKey,
                first=first,
                after=after,
                order_by=sort.value,
                newest_first=descending,
                count=count,
            )

    async def _change(
        self,
        key_id: str,
        apply: Callable[[VirtualKey], None],
        action: str,
        actor: Actor | None,
        check: KeyCheck | None = None,
        capped: Mapping[str, Any] | None = None,
    ) -> VirtualKey:
        """Apply one change under the key's row; ``capped`` holds new values to cap."""
        async with self._sessions() as session, session.begin():
            key = await session.get(VirtualKey, key_id)
            if key is None:
                raise NotFoundError(f"no key {key_id}", param="key_id", code="key_not_found")
            if check is not None:
                check(key)
            if capped:
                await check_caps(
                    session, team_id=key.team_id, org_id=key.org_id, user_id=None, values=capped
                )
            before = snapshot(key)
            apply(key)
            if actor is not None:
                record(
                    session,
                    actor,
                    action,
                    "key",
                    key.id,
                    org_id=key.org_id,
                    before=before,
                    after=snapshot(key),
                )
            hashes = [key.key_hash] + ([key.previous_key_hash] if key.previous_key_hash else [])
        await self._invalidator.publish(hashes)
        return key

    async def revoke(
        self, key_id: str, *, actor: Actor | None = None, check: KeyCheck | None = None
    ) -> VirtualKey:
        def apply(key: VirtualKey) -> None:
            key.revoked_at = key.revoked_at or self._clock()
            key.previous_key_expires_at = None

        return await self._change(key_id, apply, "key.revoke", actor, check)

    async def set_blocked(
        self,
        key_id: str,
        blocked: bool,
        *,
        actor: Actor | None = None,
        check: KeyCheck | None = None,
    ) -> VirtualKey:
        def apply(key: VirtualKey) -> None:
            key.blocked = blocked

        action = "key.block" if blocked else "key.unblock"
        return await self._change(key_id, apply, action, actor, check)

    async def block_many(
        self, ids: Sequence[str], reason: str, *, actor: Actor, check: KeyCheck | None = None
    ) -> BulkChange:
        """Block these keys (a revoked key cannot be blocked: a per-key failure)."""

        def apply(key: VirtualKey) -> Outcome:
            if key.revoked_at is not None:
                return Outcome(failure=BulkFailure(key.id, "key_revoked", "the key is revoked"))
            if key.blocked:
                return Outcome(changed=False)
            key.blocked = True
            return Outcome()

        return await self._many(ids, reason, apply, "key.block", actor, check)

    async def revoke_many(
        self, ids: Sequence[str], reason: str, *, actor: Actor, check: KeyCheck | None = None
    ) -> BulkChange:
        """Revoke these keys (those already revoked stay as they were)."""

        def apply(key: VirtualKey) -> Outcome:
            if key.revoked_at is not None:
                return Outcome(changed=False)
            key.revoked_at = self._clock()
            key.previous_key_expires_at = None
            return Outcome()

        return await self._many(ids, reason, apply, "key.revoke", actor, check)

    async def _many(
        self,
        ids: Sequence[str],
        reason: str,
        apply: Callable[[VirtualKey], Outcome],
        action: str,
        actor: Actor,
        check: KeyCheck | None,
    ) -> BulkChange:
        result = await change_many(self._sessions, ids, reason, apply, action, actor, check)
        if result.hashes:
            await self._invalidator.publish(result.hashes)
        return result

    async def update(
        self,
        key_id: str,
        *,
        actor: Actor | None = None,
        check: KeyCheck | None = None,
        capped: bool = False,
        **changes: Any,
    ) -> VirtualKey:
        """Change the named fields; with ``capped``, the changed capped fields are checked."""
        unknown = set(changes) - set(SPEC_FIELDS)
        if unknown:
            raise BadRequestError(f"unknown key fields: {', '.join(sorted(unknown))}")
        KeySpec(**{k: v for k, v in changes.items() if v is not None}).validate(self._clock())

        def apply(key: VirtualKey) -> None:
            for name, value in changes.items():
                if name == "model_max_budget":
                    value = {k: str(v) for k, v in value.items()}
                setattr(key, name, value)

        limited = {k: v for k, v in changes.items() if k in CAPPED_FIELDS} if capped else None
        return await self._change(key_id, apply, "key.update", actor, check, limited)

    async def regenerate(
        self,
        key_id: str,
        *,
        grace: timedelta | None = None,
        actor: Actor | None = None,
        check: KeyCheck | None = None,
    ) -> CreatedKey:
        """A new secret; the old one keeps working for ``grace`` (not at all by default)."""
        secret = generate_secret()
        old_hashes: list[str] = []

        def apply(key: VirtualKey) -> None:
            if key.revoked_at is not None:
                raise BadRequestError("a revoked key cannot be regenerated", param="key_id")
            old_hashes.append(key.key_hash)
            key.previous_key_hash = key.key_hash if grace else None
            key.previous_key_expires_at = self._clock() + grace if grace else None
            key.key_hash = self.hash(secret)
            key.key_prefix, key.key_suffix = display_parts(secret)

        key = await self._change(key_id, apply, "key.regenerate", actor, check)
        await self._invalidator.publish(old_hashes)
        return CreatedKey(key, secret)
