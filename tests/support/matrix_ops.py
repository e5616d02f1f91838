"""The admin API operations of the permission matrix, one :class:`Op` per row of ``MATRIX``.

An operation runs on the targets in ``targets`` (see :meth:`World.target`): ``ORG``
operations on organizations A and B, ``TEAM`` operations on teams A1, A2 and B1, ``KEY``
operations on keys of those teams and on the caller's own key in A1; an operation without
targets runs once, on A where it needs something. ``fresh`` makes an object for the call
alone (its id goes to ``variables``), so no call depends on another one's effect.
Mutations that return a payload select its ``errors``: an allowed call must come back with
none. Settings mutations use values that change nothing a request does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.keys.models import VirtualKey
from app.users.models import OrgRole, PlatformRole, TeamRole
from tests.support.matrix import TEAM_RPM_CAP, TRAFFIC, Org, World, unique

__all__ = ["KEY", "OPS", "ORG", "TEAM", "Op"]

ORG = ("A", "B")
TEAM = ("A", "A2", "B")
KEY = ("mine", "A", "A2", "B")

Vars = Callable[[Org, str], dict[str, Any]]
Fresh = Callable[[World, Org], Awaitable[str]]
Seen = Callable[[World, dict[str, Any]], frozenset[str]]
Shows = Callable[[World, dict[str, Any]], object]
Check = Callable[[World, str, dict[str, Any]], None]


def _none(world: World, target: Org) -> Awaitable[str]:
    async def nothing() -> str:
        return ""

    return nothing()


@dataclass(frozen=True)
class Op:
    """A GraphQL call. ``seen`` names the organizations whose rows a read returned;
    ``shows`` picks what only the ``Y`` column may see (``None`` when hidden); ``check``
    asserts more about an allowed answer; ``capped`` marks a key limit above the team's;
    ``refusal`` is the payload error of the ``P`` verdict."""

    name: str
    document: str
    variables: Vars = field(default=lambda t, f: {})
    targets: tuple[str, ...] = ()
    fresh: Fresh = _none
    seen: Seen | None = None
    shows: Shows | None = None
    check: Check | None = None
    capped: bool = False
    refusal: str | None = None
    """The payload error code the ``P`` column gets (a refusal the caller can act on)."""

    @property
    def targeted(self) -> bool:
        return bool(self.targets)


def _labels(path: str) -> Seen:
    """Organizations of the ids at ``path`` (``field.edges.orgId``-style) in the answer."""
    *steps, leaf = path.split(".")

    def seen(world: World, data: dict[str, Any]) -> frozenset[str]:
        rows: list[Any] = [data]
        for step in steps:
            rows = [r[step] for r in rows]
            rows = [x for r in rows for x in (r if isinstance(r, list) else [r])]
        return frozenset(world.label(r[leaf]) for r in rows)

    return seen


def _by_requests(path: str) -> Seen:
    """Organizations whose traffic adds up to the request count(s) at ``path``."""

    def seen(world: World, data: dict[str, Any]) -> frozenset[str]:
        value = data[path]
        total = sum(v["requests"] for v in value) if isinstance(value, list) else value["requests"]
        for subset in ({"A", "B"}, {"A"}, {"B"}, set()):
            if sum(TRAFFIC[s] for s in subset) == total:
                return frozenset(subset)
        return frozenset({f"unexplained {total} requests"})

    return seen


def _master_key_hint(world: World, data: dict[str, Any]) -> object:
    hint = data["gatewaySettings"]["general"]["masterKeyHint"]
    assert hint in (None, f"…{world.gateway.master_key[-4:]}"), hint
    return hint


def _made_for_self(world: World, caller: str, data: dict[str, Any]) -> None:
    """A team_developer's new key is theirs; anyone else's (naming no user) is nobody's."""
    role = world.roles.get(caller)
    developer = role is not None and role.team_role is TeamRole.TEAM_DEVELOPER
    owner = world.users[caller] if developer else None
    assert data["createKey"]["key"]["userId"] == owner, (caller, data)


def _window(t: Org, f: str) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {"s": (today - timedelta(days=1)).isoformat(), "e": today.isoformat()}


def _instants(t: Org, f: str) -> dict[str, Any]:
    """The 48 whole hours before the next one: the same traffic as :func:`_window`'s days."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return {"s": (end - timedelta(hours=48)).isoformat(), "e": end.isoformat()}


def _member_of(world: World, target: Org) -> Awaitable[str]:
    return world.fresh_user(target)


def _owner_of(world: World, target: Org) -> Awaitable[str]:
    return world.fresh_user(target, org_role=OrgRole.ORG_OWNER)


def _team_member_of(world: World, target: Org) -> Awaitable[str]:
    return world.fresh_user(target, team_role=TeamRole.TEAM_DEVELOPER)


def _org_admin_of(world: World, target: Org) -> Awaitable[str]:
    return world.fresh_user(target, org_role=OrgRole.ORG_ADMIN)


def _org_admin_in_team(world: World, target: Org) -> Awaitable[str]:
    """An org_admin of the target's organization who is a team_developer of its team."""
    return world.fresh_user(target, org_role=OrgRole.ORG_ADMIN, team_role=TeamRole.TEAM_DEVELOPER)


def _user(role: PlatformRole) -> Fresh:
    return lambda world, target: world.fresh_user(platform_role=role)


def _key(world: World, target: Org) -> Awaitable[str]:
    return world.fresh_key(target)


_NEAR_LIMIT: dict[int, dict[str, str]] = {}
"""Per world: the ids of the keys near their budget (one in A1, one in B1) -> label."""


async def _near_limit_keys(world: World, target: Org) -> str:
    """Once per world: a key in each organization's first team at 90 % of its budget."""
    if id(world) not in _NEAR_LIMIT:
        made = {}
        for label, org in world.orgs.items():
            key_id = await world.fresh_key(org)
            async with world.gateway.runtime.sessions() as session, session.begin():
                row = await session.get(VirtualKey, key_id)
                assert row is not None
                row.max_budget, row.spend = Decimal(10), Decimal(9)
            made[key_id] = label
        _NEAR_LIMIT[id(world)] = made
    return ""


def _near_limit_seen(world: World, data: dict[str, Any]) -> frozenset[str]:
    """Organizations of the budgets listed (keys by the ids above, teams and orgs by id)."""
    known = _NEAR_LIMIT[id(world)] | {
        o.team_id: o.label[0] for o in (*world.orgs.values(), *world.teams.values())
    }
    return frozenset(known.get(u["id"]) or world.label(u["id"]) for u in data["budgetsNearLimit"])


def _deployment(world: World, target: Org) -> Awaitable[str]:
    return world.fresh_deployment()


def _guardrail(world: World, target: Org) -> Awaitable[str]:
    return world.fresh_guardrail()


def _grant(role: str, suffix: str, fresh: Fresh = _member_of, refusal: str | None = None) -> Op:
    """``setOrgMember``; by default on someone already in the target organization."""
    return Op(
        f"setOrgMember{suffix}",
        """mutation($o: ID!, $u: ID!, $r: OrgRole!) {
        setOrgMember(orgId: $o, userId: $u, role: $r) { errors { code } } }""",
        lambda t, f: {"o": t.id, "u": f, "r": role},
        targets=ORG,
        fresh=fresh,
        refusal=refusal,
    )


def _set_team_member(name: str, role: str, fresh: Fresh) -> Op:
    return Op(
        name,
        """mutation($t: ID!, $u: ID!, $r: TeamRole!) {
        setTeamMember(teamId: $t, userId: $u, role: $r) { errors { code } } }""",
        lambda t, f: {"t": t.team_id, "u": f, "r": role},
        targets=TEAM,
        fresh=fresh,
    )


def _remove_team_member(name: str, fresh: Fresh) -> Op:
    return Op(
        name,
        """mutation($t: ID!, $u: ID!) {
        removeTeamMember(teamId: $t, userId: $u) { errors { code } } }""",
        lambda t, f: {"t": t.team_id, "u": f},
        targets=TEAM,
        fresh=fresh,
    )


def _create_user(role: str, suffix: str) -> Op:
    return Op(
        f"createUser{suffix}",
        """mutation($e: String!, $r: PlatformRole!) {
        createUser(email: $e, role: $r) { errors { code } } }""",
        lambda t, f: {"e": f"{unique('new')}@example.com", "r": role},
    )


def _on_user(name: str, document: str, role: PlatformRole) -> Op:
    return Op(name, document, lambda t, f: {"u": f}, fresh=_user(role))


def _set_role(name: str, target: PlatformRole, role: str) -> Op:
    return Op(
        name,
        """mutation($u: ID!, $r: PlatformRole!) {
        setUserRole(userId: $u, role: $r) { errors { code } } }""",
        lambda t, f: {"u": f, "r": role},
        fresh=_user(target),
    )


def _remove_org_member(name: str, fresh: Fresh) -> Op:
    return Op(
        name,
        """mutation($o: ID!, $u: ID!) {
        removeOrgMember(orgId: $o, userId: $u) { errors { code } } }""",
        lambda t, f: {"o": t.id, "u": f},
        targets=ORG,
        fresh=fresh,
    )


def _settings(name: str, document: str) -> Op:
    return Op(name, f"mutation {{ {name}({document}) {{ errors {{ code }} }} }}")


def _spend(selection: str) -> str:
    return f"query($s: Date!, $e: Date!) {{ {selection} }}"


BLOCK_USER = """mutation($u: ID!) {
    setUserBlocked(userId: $u, blocked: true) { user { blocked } errors { code } } }"""
RESET_PASSWORD = "mutation($u: ID!) { resetPassword(userId: $u) { errors { code } } }"
RESET_MFA = "mutation($u: ID!) { resetMfa(userId: $u) { errors { code } } }"
CREATE_KEY = """mutation($t: ID, $a: String) {
    createKey(input: {teamId: $t, alias: $a}) { key { userId } errors { code } } }"""
NO_LIMIT = "limits: {tpmLimit: 100000000}"
"""A limit far above anything the matrix's traffic or keys come near."""

_ORGS = (
    Op(
        "organizations",
        "{ organizations(first: 100) { edges { node { id } } } }",
        seen=_labels("organizations.edges.node.id"),
    ),
    Op(
        "organization",
        "query($i: ID!) { organization(id: $i) { id } }",
        lambda t, f: {"i": t.id},
        targets=ORG,
        seen=_labels("organization.id"),
    ),
    Op(
        "createOrganization",
        "mutation($n: String!) { createOrganization(name: $n) { errors { code } } }",
        lambda t, f: {"n": unique("org")},
    ),
    Op(
        "updateOrganization",
        """mutation($i: ID!, $n: String!) {
        updateOrganization(id: $i, name: $n) { errors { code } } }""",
        lambda t, f: {"i": t.id, "n": unique("org")},
        targets=ORG,
    ),
    Op(
        "updateOrganizationLimits",
        f"""mutation($i: ID!) {{
        updateOrganization(id: $i, {NO_LIMIT}) {{ errors {{ code }} }} }}""",
        lambda t, f: {"i": t.id},
        targets=ORG,
    ),
    Op(
        "setOrganizationBlocked",
        "mutation($i: ID!) { setOrganizationBlocked(id: $i, blocked: false) { blocked } }",
        lambda t, f: {"i": t.id},
        targets=ORG,
    ),
    Op(
        "teams",
        "query($o: ID!) { teams(orgId: $o, first: 100) { edges { node { orgId } } } }",
        lambda t, f: {"o": t.id},
        targets=ORG,
        seen=_labels("teams.edges.node.orgId"),
    ),
    Op(
        "createTeam",
        """mutation($o: ID!, $n: String!) {
        createTeam(input: {orgId: $o, name: $n}) { errors { code } } }""",
        lambda t, f: {"o": t.id, "n": unique("team")},
        targets=ORG,
    ),
)

_TEAMS = (
    Op(
        "team",
        "query($t: ID!) { team(teamId: $t) { orgId } }",
        lambda t, f: {"t": t.team_id},
        targets=TEAM,
        seen=_labels("team.orgId"),
    ),
    Op(
        "updateTeam",
        """mutation($t: ID!, $n: String!) {
        updateTeam(teamId: $t, name: $n) { errors { code } } }""",
        lambda t, f: {"t": t.team_id, "n": unique("team")},
        targets=TEAM,
    ),
    Op(
        "updateTeamLimits",
        f"""mutation($t: ID!) {{
        updateTeam(teamId: $t, {NO_LIMIT}) {{ errors {{ code }} }} }}""",
        lambda t, f: {"t": t.team_id},
        targets=TEAM,
    ),
    Op(
        "setTeamBlocked",
        "mutation($t: ID!) { setTeamBlocked(teamId: $t, blocked: false) { blocked } }",
        lambda t, f: {"t": t.team_id},
        targets=TEAM,
    ),
    Op(
        "setTeamGuardrails",
        """mutation($t: ID!) {
        setTeamGuardrails(teamId: $t, guardrails: []) { errors { code } } }""",
        lambda t, f: {"t": t.team_id},
        targets=TEAM,
    ),
    Op(
        "teamMembers",
        "query($t: ID!) { teamMembers(teamId: $t, first: 100) { totalCount } }",
        lambda t, f: {"t": t.team_id},
        targets=TEAM,
    ),
    _remove_team_member("removeTeamMember", _team_member_of),
    _remove_team_member("removeTeamMemberAbove", _org_admin_in_team),
    Op(
        "orgMembers",
        "query($o: ID!) { orgMembers(orgId: $o, first: 100) { totalCount } }",
        lambda t, f: {"o": t.id},
        targets=ORG,
    ),
    _remove_org_member("removeOrgMember", _member_of),
    _remove_org_member("removeOrgMemberOwner", _owner_of),
    _set_team_member("setTeamMember", "TEAM_DEVELOPER", _member_of),
    _set_team_member("setTeamMemberAdmin", "TEAM_ADMIN", _member_of),
    _set_team_member("setTeamMemberAbove", "TEAM_VIEWER", _org_admin_in_team),
    _set_team_member("setTeamMemberAboveNew", "TEAM_VIEWER", _org_admin_of),
    _grant("ORG_MEMBER", ""),
    _grant("ORG_ADMIN", "Admin"),
    _grant("ORG_OWNER", "Owner"),
    # A user in no organization of the caller's: only platform admins bring them in.
    _grant("ORG_MEMBER", "Outsider", _user(PlatformRole.ORG_USER), "not_in_your_organizations"),
)


def _dry_run(world: World, caller: str, data: dict[str, Any]) -> None:
    """A dry run answered (other cells may have blocked the key: it need not admit)."""
    assert isinstance(data["keyAdmission"]["dryRun"]["admitted"], bool), data


_KEYS = (
    Op(
        "keys",
        "{ keys(first: 100) { edges { node { orgId } } } }",
        seen=_labels("keys.edges.node.orgId"),
    ),
    Op(
        "createKey",
        CREATE_KEY,
        lambda t, f: {"t": t.team_id, "a": unique("key")},
        targets=TEAM,
        check=_made_for_self,
    ),
    Op(
        "createKeyNoTeam",
        CREATE_KEY,
        lambda t, f: {"t": None, "a": unique("key")},
        check=_made_for_self,
    ),
    Op(
        "createKeyForOther",
        """mutation($t: ID!, $u: ID!) {
        createKey(input: {teamId: $t, userId: $u}) { errors { code } } }""",
        lambda t, f: {"t": t.team_id, "u": f},
        targets=TEAM,
        fresh=_member_of,
    ),
    Op(
        "createKeyOverCap",
        """mutation($t: ID!, $r: Int!) {
        createKey(input: {teamId: $t, rpmLimit: $r}) { errors { code } } }""",
        lambda t, f: {"t": t.team_id, "r": TEAM_RPM_CAP + 1},
        targets=("A",),
        capped=True,
    ),
    Op(
        "updateKey",
        """mutation($k: ID!, $a: String) {
        updateKey(keyId: $k, input: {alias: $a}) { errors { code } } }""",
        lambda t, f: {"k": t.key_id, "a": unique("key")},
        targets=KEY,
    ),
    Op(
        "updateKeyOverCap",
        """mutation($k: ID!, $r: Int!) {
        updateKey(keyId: $k, input: {rpmLimit: $r}) { errors { code } } }""",
        lambda t, f: {"k": f, "r": TEAM_RPM_CAP + 1},
        targets=("mine",),
        fresh=_key,
        capped=True,
    ),
    Op(
        "revokeKey",
        "mutation($k: ID!) { revokeKey(keyId: $k) { revoked } }",
        lambda t, f: {"k": f},
        targets=KEY,
        fresh=_key,
    ),
    Op(
        "setKeyBlocked",
        "mutation($k: ID!) { setKeyBlocked(keyId: $k, blocked: true) { blocked } }",
        lambda t, f: {"k": t.key_id},
        targets=KEY,
    ),
    Op(
        "key",
        "query($k: ID!) { key(keyId: $k) { id } }",
        lambda t, f: {"k": t.key_id},
        targets=KEY,
    ),
    Op(
        "keyAdmission",
        """query($k: ID!) { keyAdmission(keyId: $k, model: "echo", estimatedTokens: 1)
        { keyId dryRun { admitted } } }""",
        lambda t, f: {"k": t.key_id},
        targets=KEY,
        check=_dry_run,
    ),
    Op(
        "createPlaygroundKey",
        """mutation($t: ID!) { createPlaygroundKey(teamId: $t, minutes: 5) {
        key { tags } errors { code } } }""",
        lambda t, f: {"t": t.team_id},
        targets=TEAM,
    ),
    Op(
        "keyHygiene",
        "{ keyHygiene(first: 100) { edges { node { key { orgId } } } } }",
        seen=_labels("keyHygiene.edges.node.key.orgId"),
    ),
    Op(
        "budgetsNearLimit",
        "{ budgetsNearLimit(first: 100) { kind id } }",
        fresh=_near_limit_keys,
        seen=_near_limit_seen,
    ),
    Op(
        "blockKeys",
        """mutation($k: [ID!]!) { blockKeys(keyIds: $k, reason: "matrix") {
        keys { blocked } errors { code } } }""",
        lambda t, f: {"k": [f]},
        targets=KEY,
        fresh=_key,
    ),
    Op(
        "revokeKeys",
        """mutation($k: [ID!]!) { revokeKeys(keyIds: $k, reason: "matrix") {
        keys { revoked } errors { code } } }""",
        lambda t, f: {"k": [f]},
        targets=KEY,
        fresh=_key,
    ),
    Op(
        "regenerateKey",
        "mutation($k: ID!) { regenerateKey(keyId: $k) { errors { code } } }",
        lambda t, f: {"k": f},
        targets=KEY,
        fresh=_key,
    ),
)

_USERS = (
    Op("users", "{ users(first: 100) { edges { node { id } } } }"),
    _create_user("ORG_USER", ""),
    _create_user("PLATFORM_CO_ADMIN", "CoAdmin"),
    _create_user("PLATFORM_ADMIN", "Admin"),
    _on_user("setUserBlocked", BLOCK_USER, PlatformRole.ORG_USER),
    _on_user("setUserBlockedCoAdmin", BLOCK_USER, PlatformRole.PLATFORM_CO_ADMIN),
    _on_user("setUserBlockedAdmin", BLOCK_USER, PlatformRole.PLATFORM_ADMIN),
    _on_user("resetPassword", RESET_PASSWORD, PlatformRole.ORG_USER),
    _on_user("resetPasswordAdmin", RESET_PASSWORD, PlatformRole.PLATFORM_ADMIN),
    _on_user("resetMfa", RESET_MFA, PlatformRole.ORG_USER),
    _on_user("resetMfaAdmin", RESET_MFA, PlatformRole.PLATFORM_ADMIN),
    _set_role("setUserRoleCoAdmin", PlatformRole.ORG_USER, "PLATFORM_CO_ADMIN"),
    _set_role("setUserRoleAdmin", PlatformRole.ORG_USER, "PLATFORM_ADMIN"),
    _set_role("setUserRoleOfAdmin", PlatformRole.PLATFORM_ADMIN, "ORG_USER"),
    Op(
        "userLimits",
        "query($u: ID!) { userLimits(userId: $u) { userId } }",
        lambda t, f: {"u": t.owner},
    ),
    Op(
        "setUserLimits",
        """mutation($u: ID!) {
        setUserLimits(userId: $u, limits: {rpmLimit: 1000}) { errors { code } } }""",
        lambda t, f: {"u": f},
        fresh=_user(PlatformRole.ORG_USER),
    ),
    Op("endUsers", "{ endUsers(first: 100) { totalCount } }"),
    Op(
        "setEndUserBudget",
        """mutation($x: String!) {
        setEndUserBudget(externalId: $x, maxBudget: "5") { errors { code } } }""",
        lambda t, f: {"x": unique("end-user")},
    ),
    Op(
        "setEndUserBlocked",
        """mutation($x: String!) {
        setEndUserBlocked(externalId: $x, blocked: true) { errors { code } } }""",
        lambda t, f: {"x": unique("end-user")},
    ),
)

_SPEND = (
    Op(
        "spendTotals",
        _spend("spendTotals(start: $s, end: $e) { requests }"),
        _window,
        seen=_by_requests("spendTotals"),
    ),
    Op(
        "dailySpend",
        _spend("dailySpend(start: $s, end: $e) { requests }"),
        _window,
        seen=_by_requests("dailySpend"),
    ),
    Op(
        "requestStats",
        "query($s: DateTime!, $e: DateTime!) { requestStats(start: $s, end: $e) { requests } }",
        _instants,
        seen=_by_requests("requestStats"),
    ),
    Op(
        "requestBreakdown",
        """query($s: DateTime!, $e: DateTime!) {
        requestBreakdown(start: $s, end: $e, by: ORG, limit: 100) { orgId: label } }""",
        _instants,
        seen=_labels("requestBreakdown.orgId"),
    ),
    Op(
        "hourlySpend",
        "query($s: DateTime!, $e: DateTime!) { hourlySpend(start: $s, end: $e) { requests } }",
        _instants,
        seen=_by_requests("hourlySpend"),
    ),
    Op(
        "spendBreakdown",
        _spend("spendBreakdown(start: $s, end: $e, by: ORG, limit: 100) { orgId: label }"),
        _window,
        seen=_labels("spendBreakdown.orgId"),
    ),
    Op(
        "requestLogs",
        "{ requestLogs(first: 100) { edges { node { orgId } } } }",
        seen=_labels("requestLogs.edges.node.orgId"),
    ),
    Op(
        "requestLogTail",
        "{ requestLogTail(first: 100) { logs { orgId } } }",
        seen=_labels("requestLogTail.logs.orgId"),
    ),
    Op(
        "auditLog",
        "{ auditLog(first: 100) { edges { node { orgId } } } }",
        seen=_labels("auditLog.edges.node.orgId"),
    ),
)

_GATEWAY = (
    Op("routerDeployments", "{ routerDeployments { id health { inFlight } } }"),
    Op(
        "testModelDeployment",
        """mutation { testModelDeployment(id: "echo-0") { answer error { code }
        errors { code } } }""",
    ),
    Op("modelDeployments", "{ modelDeployments { totalCount edges { node { id } } } }"),
    Op("modelGroups", "{ modelGroups { name } }"),
    Op(
        "createModelDeployment",
        """mutation($i: CreateModelDeploymentInput!) {
        createModelDeployment(input: $i) { errors { code } } }""",
        lambda t, f: {"i": {"modelName": unique("model"), "params": {"model": "demo/echo"}}},
    ),
    Op(
        "updateModelDeployment",
        """mutation($d: ID!) {
        updateModelDeployment(id: $d, input: {modelInfo: {mode: "chat"}}) { errors { code } } }""",
        lambda t, f: {"d": f},
        fresh=_deployment,
    ),
    Op(
        "deleteModelDeployment",
        "mutation($d: ID!) { deleteModelDeployment(id: $d) { errors { code } } }",
        lambda t, f: {"d": f},
        fresh=_deployment,
    ),
    Op(
        "gatewaySettings",
        "{ gatewaySettings { general { masterKeyHint } } }",
        shows=_master_key_hint,
    ),
    # An alias nobody calls; the defaults of health checks (off) and of the cache's ttl.
    _settings(
        "updateRouterSettings",
        'input: {modelGroupAliases: [{alias: "matrix-unused-alias", model: "echo"}]}',
    ),
    _settings("updateHealthCheckSettings", "input: {interval: 300}"),
    _settings("updateCacheSettings", "input: {ttl: 600}"),
    Op("flushCache", "mutation { flushCache { errors { code } } }"),
    Op(
        "setGuardrailPolicy",
        """mutation($n: String!) {
        setGuardrailPolicy(input: {name: $n, guardrail: PRESIDIO, mode: LOGGING_ONLY}) {
        errors { code } } }""",
        lambda t, f: {"n": unique("guard")},
    ),
    Op(
        "deleteGuardrailPolicy",
        "mutation($n: String!) { deleteGuardrailPolicy(name: $n) { errors { code } } }",
        lambda t, f: {"n": f},
        fresh=_guardrail,
    ),
)

_SESSION = (
    Op("me", "{ me { kind } }"),
    Op("signInOptions", "{ signInOptions { oidcEnabled passwordEnabled } }"),
    Op(
        "login",
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { __typename } }",
        lambda t, f: {"e": f"{unique('nobody')}@example.com", "p": "not a password at all"},
    ),
)

OPS = (*_ORGS, *_TEAMS, *_KEYS, *_USERS, *_SPEND, *_GATEWAY, *_SESSION)
