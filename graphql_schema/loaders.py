"""Per-request DataLoaders: a list of N objects costs the same SQL statements as one.

Named ``<Entity>By<Key>``; each batches every key asked for in one tick into one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from app.orgs.models import Organization, Team
from app.users.models import OrgMembership, TeamMembership

__all__ = ["Loaders"]

Sessions = async_sessionmaker[AsyncSession]


class Loaders:
    """The loaders of one request (created with the request's context)."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self.organization_by_id = DataLoader(load_fn=self._orgs_by_id)
        self.team_by_id = DataLoader(load_fn=self._teams_by_id)
        self.teams_by_org_id = DataLoader(load_fn=self._teams_by_org_id)
        self.org_memberships_by_user_id = DataLoader(load_fn=self._org_memberships_by_user_id)
        self.team_memberships_by_user_id = DataLoader(load_fn=self._team_memberships_by_user_id)

    async def _rows(self, query: Any) -> Sequence[Any]:
        async with self._sessions() as session:
            rows: Sequence[Any] = (await session.exec(query)).all()
        return rows

    async def _orgs_by_id(self, ids: list[str]) -> list[Organization | None]:
        rows = await self._rows(select(Organization).where(col(Organization.id).in_(ids)))
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    async def _teams_by_id(self, ids: list[str]) -> list[Team | None]:
        rows = await self._rows(select(Team).where(col(Team.id).in_(ids)))
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    async def _teams_by_org_id(self, org_ids: list[str]) -> list[list[Team]]:
        query = select(Team).where(col(Team.org_id).in_(org_ids)).order_by(col(Team.created_at))
        grouped: dict[str, list[Team]] = defaultdict(list)
        for row in await self._rows(query):
            grouped[row.org_id].append(row)
        return [grouped.get(o, []) for o in org_ids]

    async def _org_memberships_by_user_id(
        self, user_ids: list[str]
    ) -> list[list[tuple[OrgMembership, Organization]]]:
        """Each user's organization memberships with the organization, by organization name."""
        query = (
            select(OrgMembership, Organization)
            .join(Organization, col(Organization.id) == col(OrgMembership.org_id))
            .where(col(OrgMembership.user_id).in_(user_ids))
            .order_by(col(Organization.name), col(Organization.id))
        )
        grouped: dict[str, list[tuple[OrgMembership, Organization]]] = defaultdict(list)
        for membership, org in await self._rows(query):
            grouped[membership.user_id].append((membership, org))
        return [grouped.get(u, []) for u in user_ids]

    async def _team_memberships_by_user_id(
        self, user_ids: list[str]
    ) -> list[list[tuple[TeamMembership, Team]]]:
        """Each user's team memberships with the team, by team name."""
        query = (
            select(TeamMembership, Team)
            .join(Team, col(Team.id) == col(TeamMembership.team_id))
            .where(col(TeamMembership.user_id).in_(user_ids))
            .order_by(col(Team.name), col(Team.id))
        )
        grouped: dict[str, list[tuple[TeamMembership, Team]]] = defaultdict(list)
        for membership, team in await self._rows(query):
            grouped[membership.user_id].append((membership, team))
        return [grouped.get(u, []) for u in user_ids]
