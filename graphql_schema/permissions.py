"""Permission rules, each visible in the SDL as a directive on the field it guards.

``@requiresSignIn``: any authenticated caller. ``@requiresRole(roles: [...])``: a
platform role. ``@requiresOrgRole(roles: [...], of: "...", teamRoles: [...])``: one of
``roles`` in the organization that the named argument (an org id, or a team or key id)
belongs to, or one of ``teamRoles`` in the team it belongs to (``teamId``: that team;
``keyId``: the key's team; ``keyIds``: every listed key must pass).
``@requiresAnyOrgRole(roles: [...])``: one of ``roles`` in at least one organization, for
lists that show each caller the organizations where they hold it. Platform admins always
pass, co-admins for reads. Rules about whose key it is (a team_developer changes only
their own keys) are checked by the resolver with :meth:`Principal.require_key_change`,
inside the change's transaction.
"""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import col, select
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location
from strawberry.types import Info

from app.auth.principal import Principal
from app.errors import NotFoundError, PermissionDeniedError
from app.keys.models import VirtualKey
from app.orgs.models import Team
from app.users.models import OrgRole, PlatformRole, TeamRole
from graphql_schema.context import GraphQLContext

__all__ = ["any_org_role", "org_role", "platform_role", "public", "signed_in"]

# The app's own role enums, exposed to GraphQL under their names.
strawberry.enum(PlatformRole, name="PlatformRole")
strawberry.enum(OrgRole, name="OrgRole")
strawberry.enum(TeamRole, name="TeamRole")


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], name="requiresSignIn")
class RequiresSignIn:
    """Any authenticated caller."""


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], name="public")
class PublicDirective:
    """Open to anyone: the way in (signing in)."""


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], name="requiresRole")
class RequiresRole:
    roles: list[PlatformRole]


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], name="requiresOrgRole")
class RequiresOrgRole:
    """One of ``roles`` in the target's organization, or of ``teamRoles`` in its team."""

    roles: list[OrgRole]
    of: str
    team_roles: list[TeamRole] = strawberry.field(default=())


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], name="requiresAnyOrgRole")
class RequiresAnyOrgRole:
    """One of ``roles`` in at least one organization (the answer covers those)."""

    roles: list[OrgRole]


_ALLOWED_BEFORE_CHANGE = frozenset({"me", "changePassword", "logout"})


def _principal(info: Info[GraphQLContext, Any]) -> Principal:
    principal = info.context.require_principal()
    if principal.must_change_password and info.field_name not in _ALLOWED_BEFORE_CHANGE:
        raise PermissionDeniedError(
            "Change your password before doing anything else.", code="password_change_required"
        )
    return principal


class SignedIn(BasePermission):
    def __init__(self) -> None:
        self._schema_directive = RequiresSignIn()  # type: ignore[misc]

    def has_permission(self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any) -> bool:
        _principal(info)
        return True


class Public(BasePermission):
    """Open to anyone (signing in): marked in the SDL so the exception is visible."""

    def __init__(self) -> None:
        self._schema_directive = PublicDirective()  # type: ignore[misc]

    def has_permission(self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any) -> bool:
        return True


class HasPlatformRole(BasePermission):
    message = "Your platform role does not allow this."

    def __init__(self, *roles: PlatformRole) -> None:
        self.roles = frozenset(roles)
        self._schema_directive = RequiresRole(roles=list(roles))  # type: ignore[misc]

    def has_permission(self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any) -> bool:
        if _principal(info).platform_role not in self.roles:
            raise PermissionDeniedError(self.message, code="forbidden")
        return True


class HasOrgRole(BasePermission):
    """``of`` names the argument: ``orgId``/``id`` (an organization), ``teamId``, ``keyId``.

    A caller passes with one of ``roles`` in the target's organization, or with one of
    ``team_roles`` in the target's team (a team id, or the team of a key).
    """

    message = "You need another role in that organization."

    def __init__(self, *roles: OrgRole, of: str, team_roles: tuple[TeamRole, ...] = ()) -> None:
        self.roles = frozenset(roles)
        self.team_roles = frozenset(team_roles)
        self.of = of
        self._schema_directive = RequiresOrgRole(  # type: ignore[misc]
            roles=list(roles), of=of, team_roles=list(team_roles)
        )

    async def _target(
        self, info: Info[GraphQLContext, Any], value: str
    ) -> tuple[str | None, str | None]:
        """(organization id, team id) of the argument's value."""
        if self.of in ("orgId", "id"):
            return value, None
        async with info.context.runtime.sessions() as session:
            row: Team | VirtualKey | None = (
                await session.get(Team, value)
                if self.of == "teamId"
                else await session.get(VirtualKey, value)
            )
        if row is None:
            raise NotFoundError(f"no such {self.of.removesuffix('Id')}: {value}", param=self.of)
        if isinstance(row, Team):
            return row.org_id, row.id
        return row.org_id, row.team_id

    async def _each_key(self, info: Info[GraphQLContext, Any], ids: list[Any]) -> None:
        """Every listed key passes (unknown ids are left to the resolver to report)."""
        query = select(VirtualKey.org_id, VirtualKey.team_id).where(
            col(VirtualKey.id).in_([str(i) for i in ids])
        )
        async with info.context.runtime.sessions() as session:
            targets = (await session.exec(query)).all()
        for org_id, team_id in targets:
            self._check(_principal(info), org_id, team_id)

    def _check(self, principal: Principal, org_id: str | None, team_id: str | None) -> None:
        reading = OrgRole.ORG_AUDITOR in self.roles
        if principal.sees_everything and reading:
            return
        if org_id is not None and principal.org_roles.get(org_id) in self.roles:
            return
        if principal.team_role(team_id) in self.team_roles:
            return
        raise PermissionDeniedError(self.message, code="forbidden")

    async def has_permission(
        self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any
    ) -> bool:
        principal = _principal(info)
        if principal.is_platform_admin:
            return True
        value = kwargs.get(_snake(self.of))
        if isinstance(value, list):
            await self._each_key(info, value)
            return True
        if value is None and "input" in kwargs:
            value = getattr(kwargs["input"], _snake(self.of), None)
        org_id, team_id = (
            await self._target(info, str(value)) if value is not None else (None, None)
        )
        self._check(principal, org_id, team_id)
        return True


class HasAnyOrgRole(BasePermission):
    """A read that answers for the organizations where the caller holds one of ``roles``:
    platform admins and co-admins pass, anyone holding none of them nowhere is refused."""

    message = "None of your organization roles allows this."

    def __init__(self, *roles: OrgRole) -> None:
        self.roles = frozenset(roles)
        self._schema_directive = RequiresAnyOrgRole(roles=list(roles))  # type: ignore[misc]

    def has_permission(self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any) -> bool:
        principal = _principal(info)
        if principal.sees_everything or not self.roles.isdisjoint(principal.org_roles.values()):
            return True
        raise PermissionDeniedError(self.message, code="forbidden")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def public() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Public()])]


def signed_in() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[SignedIn()])]


def any_org_role(*roles: OrgRole) -> list[FieldExtension]:
    return [PermissionExtension(permissions=[HasAnyOrgRole(*roles)])]


def platform_role(*roles: PlatformRole) -> list[FieldExtension]:
    return [PermissionExtension(permissions=[HasPlatformRole(*roles)])]


def org_role(
    *roles: OrgRole, of: str, team_roles: tuple[TeamRole, ...] = ()
) -> list[FieldExtension]:
    return [PermissionExtension(permissions=[HasOrgRole(*roles, of=of, team_roles=team_roles)])]
