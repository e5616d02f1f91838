"""Playground keys: short-lived keys the console mints for the signed-in user.

A playground key is an ordinary key (it is admitted, limited and charged like any other):
it belongs to the user and, when given, one of their teams, so the team's and the
organization's model lists and budgets apply; it is tagged ``playground`` and expires
within the hour.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from app.audit.service import Actor
from app.db.types import utcnow
from app.errors import BadRequestError
from app.keys.service import CreatedKey, KeyService, KeySpec

__all__ = ["MAX_MINUTES", "PLAYGROUND_TAG", "PlaygroundKeys"]

PLAYGROUND_TAG = "playground"
MAX_MINUTES = 60


class PlaygroundKeys:
    def __init__(self, keys: KeyService, clock: Callable[[], datetime] = utcnow) -> None:
        self._keys = keys
        self._clock = clock

    async def mint(
        self,
        *,
        user_id: str | None,
        created_by: str | None,
        email: str | None,
        team_id: str | None,
        minutes: int,
        actor: Actor,
        capped: bool,
    ) -> CreatedKey:
        """A key for ``user_id`` (in ``team_id``) that expires in ``minutes``; without a
        user (an admin key calling) it belongs to the team alone, or to nobody."""
        if not 1 <= minutes <= MAX_MINUTES:
            raise BadRequestError(f"must be between 1 and {MAX_MINUTES}", param="minutes")
        spec = KeySpec(
            alias=f"playground · {email or created_by or 'admin'}"[:255],
            team_id=team_id,
            user_id=user_id,
            expires_at=self._clock() + timedelta(minutes=minutes),
            tags=[PLAYGROUND_TAG],
            metadata_={"playground": True},
        )
        return await self._keys.create(spec, created_by=created_by, actor=actor, capped=capped)
