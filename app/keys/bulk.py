"""Changing many keys at once (block, revoke), each audited with the reason given.

Authorization is all or nothing: ``check`` runs on every key first and a refusal stops the
whole change. What is wrong with one key alone (unknown, already revoked) becomes a
:class:`BulkFailure` for that key, and the others are still changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.service import Actor, record, snapshot
from app.errors import BadRequestError
from app.keys.models import VirtualKey

__all__ = ["MAX_BULK", "BulkChange", "BulkFailure", "Outcome", "change_many"]

MAX_BULK = 100
MAX_REASON = 500

KeyCheck = Callable[[VirtualKey], None]


@dataclass(frozen=True, slots=True)
class BulkFailure:
    key_id: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``apply`` did to one key: changed, left as it was, or refused (``failure``)."""

    changed: bool = True
    failure: BulkFailure | None = None


@dataclass(slots=True)
class BulkChange:
    """The keys now in the asked state (changed or already there), the per-key failures,
    and the hashes to drop from every instance's cache."""

    keys: list[VirtualKey] = field(default_factory=list)
    failures: list[BulkFailure] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)


def _validated(ids: Sequence[str], reason: str) -> tuple[list[str], str]:
    unique = list(dict.fromkeys(ids))
    if not 1 <= len(unique) <= MAX_BULK:
        raise BadRequestError(f"name between 1 and {MAX_BULK} keys", param="key_ids")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise BadRequestError(f"give a reason of 1 to {MAX_REASON} characters", param="reason")
    return unique, reason


async def change_many(
    sessions: async_sessionmaker[AsyncSession],
    ids: Sequence[str],
    reason: str,
    apply: Callable[[VirtualKey], Outcome],
    action: str,
    actor: Actor,
    check: KeyCheck | None,
) -> BulkChange:
    """Apply ``apply`` to each key in one transaction; every change is audited as
    ``action`` with ``reason``."""
    ids, reason = _validated(ids, reason)
    result = BulkChange()
    query = select(VirtualKey).where(col(VirtualKey.id).in_(ids)).with_for_update()
    async with sessions() as session, session.begin():
        rows = {key.id: key for key in (await session.exec(query)).all()}
        if check is not None:
            for row in rows.values():
                check(row)
        for key_id in ids:
            key = rows.get(key_id)
            if key is None:
                result.failures.append(BulkFailure(key_id, "key_not_found", "no such key"))
                continue
            before = snapshot(key)
            outcome = apply(key)
            if outcome.failure is not None:
                result.failures.append(outcome.failure)
                continue
            result.keys.append(key)
            if not outcome.changed:
                continue
            record(
                session,
                actor,
                action,
                "key",
                key.id,
                org_id=key.org_id,
                before=before,
                after=snapshot(key),
                reason=reason,
            )
            result.hashes += [key.key_hash] + (
                [key.previous_key_hash] if key.previous_key_hash else []
            )
    return result
