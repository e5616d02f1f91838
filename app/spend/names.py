"""Display names for the ids a spend breakdown groups by, in one query per breakdown."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.keys.models import VirtualKey
from app.orgs.models import Organization, Team
from app.users.models import User

__all__ = ["display_names"]


def _query(dimension: str, ids: list[str]) -> Any:
    if dimension == "key_id":
        return select(VirtualKey.id, VirtualKey.alias, VirtualKey.key_prefix, VirtualKey.key_suffix)
    if dimension == "team_id":
        return select(Team.id, Team.name).where(col(Team.id).in_(ids))
    if dimension == "org_id":
        return select(Organization.id, Organization.name).where(col(Organization.id).in_(ids))
    if dimension == "user_id":
        return select(User.id, User.email).where(col(User.id).in_(ids))
    return None


async def display_names(
    session: AsyncSession, dimension: str, ids: Collection[str]
) -> dict[str, str]:
    """``{id: name}`` for keys (alias, else ``sk-ab…wxyz``), teams and organizations (name)
    and users (e-mail); empty for other dimensions. Ids no longer found are left out (spend
    outlives what it names)."""
    wanted = sorted(ids)
    query = _query(dimension, wanted) if wanted else None
    if query is None:
        return {}
    if dimension == "key_id":
        rows = (await session.exec(query.where(col(VirtualKey.id).in_(wanted)))).all()
        return {row[0]: row[1] or f"{row[2]}…{row[3]}" for row in rows}
    return {row[0]: row[1] for row in (await session.exec(query)).all()}
