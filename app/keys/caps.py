"""No key gets more than its team and organization have, unless a platform admin makes it.

A capped key's models must lie within the team's and the organization's model lists
(an empty list there restricts nothing; a key's empty list already means "what its
owners allow"), and its budget, rpm, tpm and parallel limits must not exceed the team's
or the organization's. Leaving a limit unset is allowed: the owners' limits still apply
at admission. Budgets are compared as amounts, whatever their periods. The key's user,
when named, must belong to the key's organization.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import BadRequestError
from app.orgs.models import Organization, Team
from app.users.models import OrgMembership

__all__ = ["CAPPED_FIELDS", "CapExceededError", "check_caps", "within"]

CAPPED_FIELDS = ("models", "max_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")
"""The key fields a capped change is checked on."""

_LIMITS = ("max_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")


class CapExceededError(BadRequestError):
    """The key would get more than its team or organization has (``param`` names the field)."""

    default_code = "exceeds_owner_limit"


def within(model: str, allowed: Iterable[str]) -> bool:
    """Whether ``model`` (a name or a ``prefix*`` pattern) lies inside ``allowed``."""
    allowed = frozenset(allowed)
    if model in allowed or "*" in allowed:
        return True
    return any(p.endswith("*") and model.startswith(p[:-1]) for p in allowed)


def _problem(kind: str, owner: Team | Organization, values: Mapping[str, Any]) -> None:
    models = values.get("models") or []
    if owner.models:
        outside = [m for m in models if not within(m, owner.models)]
        if outside:
            raise CapExceededError(
                f"The {kind} does not allow {', '.join(outside)}.", param="models"
            )
    for name in _LIMITS:
        cap: int | Decimal | None = getattr(owner, name)
        value = values.get(name)
        if cap is not None and value is not None and value > cap:
            raise CapExceededError(f"{name} {value} is more than the {kind}'s {cap}.", param=name)


async def check_caps(
    session: AsyncSession,
    *,
    team_id: str | None,
    org_id: str | None,
    user_id: str | None,
    values: Mapping[str, Any],
) -> None:
    """Raise :class:`CapExceededError` if ``values`` (new key field values) exceed a cap."""
    team = await session.get(Team, team_id) if team_id is not None else None
    org = await session.get(Organization, org_id) if org_id is not None else None
    for kind, owner in (("team", team), ("organization", org)):
        if owner is not None:
            _problem(kind, owner, values)
    if user_id is not None and org_id is not None:
        query = select(OrgMembership.id).where(
            OrgMembership.org_id == org_id, OrgMembership.user_id == user_id
        )
        if (await session.exec(query)).first() is None:
            raise CapExceededError(
                "The key's user is not a member of the key's organization.",
                param="user_id",
                code="not_a_member",
            )
