"""One gateway with two organizations and a signed-in HTTP client per role, for permission tests.

    async with built_world(roles) as world:
        body = await world.call("org_admin", "{ keys { totalCount } }")

Organizations ``A`` and ``B`` each hold a team (``A1``, ``B1``; ``rpmLimit``
``TEAM_RPM_CAP``), a key in that team and request traffic (``TRAFFIC`` calls each, so
spend totals tell which organizations a caller sees); ``A`` has a second team ``A2`` with
a key of its own, ``B`` an owner of its own. Each organization has a ``colleague`` (an
org_member, team_developer of its first team) who owns those keys, so they are "someone
else's keys" to every caller. Every :class:`Role` becomes a user with a known password, a
membership in ``A`` (and in ``A1``) as given, a key of its own in ``A1`` and a session
opened by the ``login`` mutation. Credential callers come too: ``master`` (the master
key), ``admin_key`` (an admin virtual key), ``plain_key`` (a key that may not administer)
and ``anonymous`` (nothing).

A call is aimed at a target (:meth:`World.target`): ``A`` (org A, team A1, A1's key),
``A2`` (org A, team A2, A2's key), ``B`` (org B, team B1, B1's key) or ``mine`` (org A,
team A1, the caller's own key in A1). Organizations, teams and keys are made through the
services (audited as the API would), memberships are written directly; the calls under
test go through POST /graphql.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import ActorType
from app.auth.principal import Principal
from app.gateway_settings.guardrail_policy import GuardrailKind
from app.keys.spec import KeySpec
from app.orgs.service import Limits
from app.users.models import OrgMembership, OrgRole, PlatformRole, TeamMembership, TeamRole
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.tenancy import make_user

__all__ = [
    "CREDENTIAL_CALLERS",
    "TEAM_RPM_CAP",
    "TRAFFIC",
    "Org",
    "Role",
    "World",
    "built_world",
    "unique",
]

PASSWORD = "matrix passphrase 4242"
CSRF = {"x-deltallm-csrf": "1"}
MODEL = "echo"
CONFIG: Mapping[str, Any] = {
    "model_list": [{"model_name": MODEL, "deltallm_params": {"model": "demo/echo"}}],
    # Every role signs in, and every caller tries `login`, all from 127.0.0.1 in a minute.
    "general_settings": {"proxy_batch_write_at": 0.1, "signin": {"max_attempts_per_minute": 0}},
}
TRAFFIC = {"A": 2, "B": 1}
"""Requests made from each organization's key: every subset has a different sum."""

TEAM_RPM_CAP = 1000
"""The ``rpmLimit`` of teams A1 and B1: a capped key may not ask for more."""

CREDENTIAL_CALLERS = ("master", "admin_key", "plain_key", "anonymous")
_SETUP = Principal(ActorType.MASTER_KEY, "master", PlatformRole.PLATFORM_ADMIN)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Role:
    """A signed-in user: a platform role, and optionally roles in org A and in team A1.

    A team role needs an org role too (team members must belong to the organization).
    """

    name: str
    platform_role: PlatformRole = PlatformRole.ORG_USER
    org_role: OrgRole | None = None
    team_role: TeamRole | None = None


@dataclass(frozen=True)
class Org:
    """A target: an organization, one of its teams, a key of that team and the key's owner
    (``owner`` also owns the keys that calls on this target make fresh)."""

    label: str
    id: str
    team_id: str
    key_id: str
    owner: str | None = None


@dataclass
class World:
    gateway: RunningGateway
    orgs: dict[str, Org]
    """``A`` and ``B``, each with its first team."""
    clients: dict[str, httpx.AsyncClient]
    teams: dict[str, Org] = field(default_factory=dict)
    """Further targets inside the organizations: ``A2``."""
    mine: dict[str, Org] = field(default_factory=dict)
    """Per caller: team A1 and the caller's own key there."""
    users: dict[str, str] = field(default_factory=dict)
    """Per signed-in role: its user id."""
    roles: dict[str, Role] = field(default_factory=dict)

    @property
    def own(self) -> Org:
        """The organization every role belongs to."""
        return self.orgs["A"]

    def target(self, label: str, caller: str) -> Org:
        """``A``, ``A2``, ``B``, or ``mine`` (the caller's own key in A1)."""
        if label == "mine":
            return self.mine[caller]
        return self.orgs.get(label) or self.teams[label]

    def label(self, org_id: str | None) -> str:
        """``A``/``B`` for the world's organizations, ``other`` or ``none`` for the rest."""
        if org_id is None:
            return "none"
        return next((o.label for o in self.orgs.values() if o.id == org_id), "other")

    async def call(
        self, caller: str, document: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        response = await self.clients[caller].post(
            "/graphql", json={"query": document, "variables": dict(variables or {})}
        )
        assert response.status_code == 200, f"{caller}: HTTP {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    async def fresh_user(
        self,
        org: Org | None = None,
        platform_role: PlatformRole = PlatformRole.ORG_USER,
        org_role: OrgRole = OrgRole.ORG_MEMBER,
        team_role: TeamRole | None = None,
    ) -> str:
        """A new user, with ``org_role`` in ``org`` (and ``team_role`` in its team) when
        given; returns its id."""
        sessions = self.gateway.runtime.sessions
        user = await make_user(sessions, platform_role=platform_role)
        if org is not None:
            await _add(sessions, OrgMembership(org_id=org.id, user_id=user.id, role=org_role))
        if org is not None and team_role is not None:
            await _add(
                sessions, TeamMembership(team_id=org.team_id, user_id=user.id, role=team_role)
            )
        return user.id

    async def fresh_key(self, target: Org) -> str:
        """A new key in ``target``'s team, owned by ``target.owner``; returns its id."""
        spec = KeySpec(team_id=target.team_id, user_id=target.owner)
        created = await self.gateway.runtime.keys.create(spec)
        return created.key.id

    async def fresh_deployment(self) -> str:
        view = await self.gateway.runtime.deployments.create(
            _SETUP.actor(), unique("model"), {"model": "demo/echo"}
        )
        return view.id

    async def fresh_guardrail(self) -> str:
        """A new guardrail policy that no request uses (not on by default); its name."""
        name = unique("guard")
        await self.gateway.runtime.gateway_settings.set_guardrail(
            _SETUP.actor(),
            {"name": name, "guardrail": GuardrailKind.PRESIDIO},
            api_key=None,
            keep_key=False,
        )
        return name


async def _add(
    sessions: async_sessionmaker[AsyncSession], row: OrgMembership | TeamMembership
) -> None:
    async with sessions() as session, session.begin():
        session.add(row)


async def _team(
    gw: RunningGateway, org_id: str, label: str, owner: str | None, limits: Limits
) -> tuple[Org, str]:
    """A team of ``org_id`` with a key owned by ``owner``; returns it and the key's secret."""
    runtime = gw.runtime
    team = await runtime.orgs.create_team(_SETUP, org_id, f"team-{label}", limits)
    key = await runtime.keys.create(
        KeySpec(team_id=team.id, user_id=owner, alias=f"key-{label}"), actor=_SETUP.actor()
    )
    return Org(label, org_id, team.id, key.key.id, owner), key.secret


async def _org(gw: RunningGateway, label: str) -> tuple[Org, str]:
    """An organization with a colleague and a capped team whose key the colleague owns."""
    runtime = gw.runtime
    org = await runtime.orgs.create_org(_SETUP, f"Matrix {label}", Limits())
    colleague = await make_user(runtime.sessions)
    await _add(
        runtime.sessions,
        OrgMembership(org_id=org.id, user_id=colleague.id, role=OrgRole.ORG_MEMBER),
    )
    team, secret = await _team(gw, org.id, label, colleague.id, Limits(rpm_limit=TEAM_RPM_CAP))
    await _add(
        runtime.sessions,
        TeamMembership(team_id=team.team_id, user_id=colleague.id, role=TeamRole.TEAM_DEVELOPER),
    )
    return team, secret


async def _traffic(gw: RunningGateway, secrets: Mapping[str, str]) -> None:
    # The live tail holds rows back for a moment after they are written; here it need not.
    gw.runtime.request_tail.settle = timedelta(0)
    for label, secret in secrets.items():
        async with gw.client(secret) as client:
            for _ in range(TRAFFIC[label]):
                await client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": "Hi"}]
                )
    await gw.runtime.gateway.settler.drain()
    await gw.runtime.spend_queue.flush()


async def _sign_in(gw: RunningGateway, http: httpx.AsyncClient, role: Role, own: Org) -> str:
    """Create the role's user in ``own`` (and its team), sign in; returns the user id."""
    runtime = gw.runtime
    email = f"{role.name.replace('_', '-')}@matrix.example.com"
    user = await runtime.identity.create_user(
        email, PASSWORD, role.platform_role, must_change_password=False
    )
    if role.org_role is not None:
        membership = OrgMembership(org_id=own.id, user_id=user.id, role=role.org_role)
        await _add(runtime.sessions, membership)
    if role.team_role is not None:
        team = TeamMembership(team_id=own.team_id, user_id=user.id, role=role.team_role)
        await _add(runtime.sessions, team)
    response = await http.post(
        "/graphql",
        json={
            "query": """mutation($e: String!, $p: String!) { login(email: $e, password: $p)
                { ok mustChangePassword errors { code } } }""",
            "variables": {"e": email, "p": PASSWORD},
        },
    )
    login = response.json()["data"]["login"]
    assert login == {"ok": True, "mustChangePassword": False, "errors": []}, (role.name, login)
    return user.id


@asynccontextmanager
async def built_world(roles: Sequence[Role]) -> AsyncIterator[World]:
    """The gateway, both organizations with traffic, and a client per role and credential."""
    async with running_gateway(CONFIG) as gw, AsyncExitStack() as stack:
        a, a_secret = await _org(gw, "A")
        b, b_secret = await _org(gw, "B")
        a2, _ = await _team(gw, a.id, "A2", a.owner, Limits())
        await _traffic(gw, {"A": a_secret, "B": b_secret})
        admin_key = await gw.runtime.keys.create(KeySpec(is_admin=True, alias="admin"))
        plain_key = await gw.runtime.keys.create(KeySpec(team_id=a.team_id, alias="plain"))
        bearer = {
            "master": gw.master_key,
            "admin_key": admin_key.secret,
            "plain_key": plain_key.secret,
        }

        async def client(headers: Mapping[str, str]) -> httpx.AsyncClient:
            http = httpx.AsyncClient(base_url=gw.root, headers={**CSRF, **headers})
            return await stack.enter_async_context(http)

        clients = {
            name: await client({"Authorization": f"Bearer {secret}"})
            for name, secret in bearer.items()
        }
        clients["anonymous"] = await client({})
        world = World(gw, {"A": a, "B": b}, clients, teams={"A2": a2})
        for role in roles:
            clients[role.name] = await client({})
            world.users[role.name] = await _sign_in(gw, clients[role.name], role, a)
            world.roles[role.name] = role
        for caller in clients:
            owner = world.users.get(caller)
            mine = replace(a, label="mine", owner=owner)
            world.mine[caller] = replace(mine, key_id=await world.fresh_key(mine))
        await world.fresh_user(b, org_role=OrgRole.ORG_OWNER)
        yield world
