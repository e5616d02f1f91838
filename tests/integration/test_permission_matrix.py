"""Every cell of the admin API's permission matrix (README), over POST /graphql.

Each role in ``ROLES`` is a real user signed in with ``login``; each operation in ``OPS``
(:mod:`tests.support.matrix_ops`) is called by every role on each of its targets: org A
(``own``: the organization every role belongs to, its team A1 and a key of A1 that
belongs to someone else), ``team2`` (team A2 of org A and its key), ``other`` (org B, its
team and key) and ``mine`` (the caller's own key in A1). ``MATRIX`` holds one row per
operation and one column per role of ``ROLES`` (platform_admin, platform_co_admin,
org_owner, org_admin, org_billing, org_member, org_auditor, and the org_members of A who
are team_admin, team_developer or team_viewer of A1), as in the README:

    Y  allowed everywhere (a list sees every organization's rows)
    O  own organization only: A, A2 and mine allowed, B FORBIDDEN (a list shows exactly
       org A's rows)
    T  own team only: A and mine allowed, A2 and B FORBIDDEN
    M  own keys only: mine allowed, everything else FORBIDDEN
    C  allowed, but the key is capped: the payload's errors are ``exceeds_owner_limit``
    R  allowed, without what only the Y column sees (``shows`` answers null)
    P  own organization only, and there refused in the payload with the op's ``refusal``
       code (nothing changes, nothing is audited); B FORBIDDEN
    N  FORBIDDEN

An allowed mutation comes back with an empty ``errors`` list in its payload. The master
key and an admin virtual key get the platform_admin column; no credentials, or a key that
may not administer, get UNAUTHENTICATED on everything but ``login``. A new role is one
``Role`` in ``ROLES`` plus one column in ``MATRIX`` (a row of the wrong width fails at
import).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func
from sqlmodel import col, select

from app.audit.models import AuditLog
from app.users.models import OrgRole, PlatformRole, TeamRole
from graphql_schema.schema import schema
from tests.support.matrix import Role, World, built_world
from tests.support.matrix_ops import OPS, Op

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROLES = (
    Role("platform_admin", platform_role=PlatformRole.PLATFORM_ADMIN),
    Role("platform_co_admin", platform_role=PlatformRole.PLATFORM_CO_ADMIN),
    Role("org_owner", org_role=OrgRole.ORG_OWNER),
    Role("org_admin", org_role=OrgRole.ORG_ADMIN),
    Role("org_billing", org_role=OrgRole.ORG_BILLING),
    Role("org_member", org_role=OrgRole.ORG_MEMBER),
    Role("org_auditor", org_role=OrgRole.ORG_AUDITOR),
    Role("team_admin", org_role=OrgRole.ORG_MEMBER, team_role=TeamRole.TEAM_ADMIN),
    Role("team_developer", org_role=OrgRole.ORG_MEMBER, team_role=TeamRole.TEAM_DEVELOPER),
    Role("team_viewer", org_role=OrgRole.ORG_MEMBER, team_role=TeamRole.TEAM_VIEWER),
)
ALIASES = {"master": "platform_admin", "admin_key": "platform_admin"}
UNAUTHENTICATED = ("anonymous", "plain_key")
PUBLIC = {"login", "signInOptions"}
"""What anyone may call, signed in or not."""

# fmt: off
MATRIX = {
    #                             plat co   own  adm  bill mem  aud  tadm tdev tvie
    "organizations":             "Y    Y    O    O    O    O    O    O    O    O",
    "organization":              "Y    Y    O    O    O    O    O    O    O    O",
    "createOrganization":        "Y    Y    N    N    N    N    N    N    N    N",
    "updateOrganization":        "Y    N    O    O    N    N    N    N    N    N",
    "updateOrganizationLimits":  "Y    N    N    N    N    N    N    N    N    N",
    "setOrganizationBlocked":    "Y    N    N    N    N    N    N    N    N    N",
    "teams":                     "Y    Y    O    O    O    O    O    O    O    O",
    "createTeam":                "Y    N    O    O    N    N    N    N    N    N",
    "team":                      "Y    Y    O    O    O    O    O    O    O    O",
    "updateTeam":                "Y    N    O    O    N    N    N    T    N    N",
    "updateTeamLimits":          "Y    N    O    O    N    N    N    N    N    N",
    "setTeamBlocked":            "Y    N    O    O    N    N    N    N    N    N",
    "setTeamGuardrails":         "Y    N    O    O    N    N    N    N    N    N",
    "teamMembers":               "Y    Y    O    O    O    O    O    O    O    O",
    "removeTeamMember":          "Y    N    O    O    N    N    N    T    N    N",
    "removeTeamMemberAbove":     "Y    N    O    O    N    N    N    N    N    N",
    "orgMembers":                "Y    Y    O    O    O    O    O    O    O    O",
    "removeOrgMember":           "Y    N    O    O    N    N    N    N    N    N",
    "removeOrgMemberOwner":      "Y    N    O    N    N    N    N    N    N    N",
    "setTeamMember":             "Y    N    O    O    N    N    N    T    N    N",
    "setTeamMemberAdmin":        "Y    N    O    O    N    N    N    T    N    N",
    "setTeamMemberAbove":        "Y    N    O    O    N    N    N    N    N    N",
    "setTeamMemberAboveNew":     "Y    N    O    O    N    N    N    N    N    N",
    "setOrgMember":              "Y    N    O    O    N    N    N    N    N    N",
    "setOrgMemberAdmin":         "Y    N    O    O    N    N    N    N    N    N",
    "setOrgMemberOwner":         "Y    N    O    N    N    N    N    N    N    N",
    "setOrgMemberOutsider":      "Y    N    P    P    N    N    N    N    N    N",
    "keys":                      "Y    Y    O    O    O    O    O    O    O    O",
    "createKey":                 "Y    N    O    O    N    N    N    T    T    N",
    "createKeyNoTeam":           "Y    N    N    N    N    N    N    N    N    N",
    "createKeyForOther":         "Y    N    O    O    N    N    N    T    N    N",
    "createKeyOverCap":          "Y    N    C    C    N    N    N    C    C    N",
    "updateKey":                 "Y    N    O    O    N    N    N    T    M    N",
    "updateKeyOverCap":          "Y    N    C    C    N    N    N    C    C    N",
    "revokeKey":                 "Y    N    O    O    N    N    N    T    M    N",
    "setKeyBlocked":             "Y    N    O    O    N    N    N    T    N    N",
    "regenerateKey":             "Y    N    O    O    N    N    N    T    M    N",
    "key":                       "Y    Y    O    O    O    O    O    O    O    O",
    "keyAdmission":              "Y    Y    O    O    O    O    O    O    O    O",
    "keyHygiene":                "Y    Y    O    O    O    O    O    O    O    O",
    "budgetsNearLimit":          "Y    Y    O    O    O    O    O    O    O    O",
    "createPlaygroundKey":       "Y    N    O    O    N    N    N    T    T    T",
    "blockKeys":                 "Y    N    O    O    N    N    N    T    N    N",
    "revokeKeys":                "Y    N    O    O    N    N    N    T    M    N",
    "users":                     "Y    Y    N    N    N    N    N    N    N    N",
    "createUser":                "Y    Y    N    N    N    N    N    N    N    N",
    "createUserCoAdmin":         "Y    Y    N    N    N    N    N    N    N    N",
    "createUserAdmin":           "Y    N    N    N    N    N    N    N    N    N",
    "setUserBlocked":            "Y    Y    N    N    N    N    N    N    N    N",
    "setUserBlockedCoAdmin":     "Y    Y    N    N    N    N    N    N    N    N",
    "setUserBlockedAdmin":       "Y    N    N    N    N    N    N    N    N    N",
    "resetPassword":             "Y    Y    N    N    N    N    N    N    N    N",
    "resetPasswordAdmin":        "Y    N    N    N    N    N    N    N    N    N",
    "resetMfa":                  "Y    Y    N    N    N    N    N    N    N    N",
    "resetMfaAdmin":             "Y    N    N    N    N    N    N    N    N    N",
    "setUserRoleCoAdmin":        "Y    Y    N    N    N    N    N    N    N    N",
    "setUserRoleAdmin":          "Y    N    N    N    N    N    N    N    N    N",
    "setUserRoleOfAdmin":        "Y    N    N    N    N    N    N    N    N    N",
    "userLimits":                "Y    Y    N    N    N    N    N    N    N    N",
    "setUserLimits":             "Y    N    N    N    N    N    N    N    N    N",
    "endUsers":                  "Y    Y    N    N    N    N    N    N    N    N",
    "setEndUserBudget":          "Y    N    N    N    N    N    N    N    N    N",
    "setEndUserBlocked":         "Y    N    N    N    N    N    N    N    N    N",
    "spendTotals":               "Y    Y    O    O    O    O    O    O    O    O",
    "dailySpend":                "Y    Y    O    O    O    O    O    O    O    O",
    "requestStats":              "Y    Y    O    O    O    O    O    O    O    O",
    "hourlySpend":               "Y    Y    O    O    O    O    O    O    O    O",
    "requestBreakdown":          "Y    Y    O    O    O    O    O    O    O    O",
    "spendBreakdown":            "Y    Y    O    O    O    O    O    O    O    O",
    "requestLogs":               "Y    Y    O    O    O    O    O    O    O    O",
    "requestLogTail":            "Y    Y    O    O    O    O    O    O    O    O",
    "auditLog":                  "Y    Y    O    O    N    N    O    N    N    N",
    "modelDeployments":          "Y    Y    Y    Y    Y    Y    Y    Y    Y    Y",
    "modelGroups":               "Y    Y    Y    Y    Y    Y    Y    Y    Y    Y",
    "createModelDeployment":     "Y    N    N    N    N    N    N    N    N    N",
    "updateModelDeployment":     "Y    N    N    N    N    N    N    N    N    N",
    "deleteModelDeployment":     "Y    N    N    N    N    N    N    N    N    N",
    "routerDeployments":         "Y    Y    N    N    N    N    N    N    N    N",
    "testModelDeployment":       "Y    N    N    N    N    N    N    N    N    N",
    "gatewaySettings":           "Y    R    R    R    R    R    R    R    R    R",
    "updateRouterSettings":      "Y    N    N    N    N    N    N    N    N    N",
    "updateHealthCheckSettings": "Y    N    N    N    N    N    N    N    N    N",
    "updateCacheSettings":       "Y    N    N    N    N    N    N    N    N    N",
    "flushCache":                "Y    N    N    N    N    N    N    N    N    N",
    "setGuardrailPolicy":        "Y    N    N    N    N    N    N    N    N    N",
    "deleteGuardrailPolicy":     "Y    N    N    N    N    N    N    N    N    N",
    "me":                        "Y    Y    Y    Y    Y    Y    Y    Y    Y    Y",
    "signInOptions":             "Y    Y    Y    Y    Y    Y    Y    Y    Y    Y",
    "login":                     "Y    Y    Y    Y    Y    Y    Y    Y    Y    Y",
}
# fmt: on

KNOWN_GAPS: dict[str, str] = {}
"""Cell id -> why the code does not yet do what the README says. Such a cell is marked
``xfail(strict=True)``: it fails as soon as the code is fixed, so the entry gets removed."""

SUFFIX = {"A": "own", "A2": "team2", "B": "other", "mine": "mine"}
SCOPE = {
    "Y": frozenset(SUFFIX),
    "O": frozenset({"A", "A2", "mine"}),
    "T": frozenset({"A", "mine"}),
    "M": frozenset({"mine"}),
    "C": frozenset(SUFFIX),
    "P": frozenset({"A", "A2", "mine"}),
}
"""The targets each verdict allows (the rest are FORBIDDEN)."""


@dataclass(frozen=True)
class Cell:
    caller: str
    op: Op
    target: str
    expected: str

    @property
    def id(self) -> str:
        suffix = f"-{SUFFIX[self.target]}" if self.op.targeted else ""
        return f"{self.caller}-{self.op.name}{suffix}"


def _valid(op: Op) -> str:
    """The verdict letters that mean something for ``op``."""
    if op.seen is not None and not op.targeted:
        return "YON"
    valid = "YON" if op.targeted else "YN"
    valid += "T" if "A2" in op.targets else ""
    valid += "M" if "mine" in op.targets else ""
    valid += "C" if op.capped else ""
    valid += "R" if op.shows is not None else ""
    valid += "P" if op.refusal is not None else ""
    return valid


def _expected(op: Op, verdict: str, target: str) -> str:
    """``FORBIDDEN``, ``capped``, ``allowed`` (``shown``/``hidden`` for ops with ``shows``),
    or for untargeted lists ``sees:all|own|none``."""
    if verdict not in _valid(op):
        raise ValueError(f"{op.name}: verdict {verdict!r} is not one of {_valid(op)}")
    if verdict == "N" or (op.targeted and target not in SCOPE[verdict]):
        return "FORBIDDEN"
    if verdict == "C":
        return "capped"
    if verdict == "P":
        return "refused"
    if op.seen is not None and not op.targeted:
        return {"Y": "sees:all", "O": "sees:own"}[verdict]
    if op.shows is not None:
        return "shown" if verdict == "Y" else "hidden"
    return "allowed"


def _cells() -> list[Cell]:
    if set(MATRIX) != {op.name for op in OPS} or len(OPS) != len(MATRIX):
        raise ValueError(f"MATRIX and OPS differ: {set(MATRIX) ^ {op.name for op in OPS}}")
    cells = []
    for op in OPS:
        verdicts = dict(zip([r.name for r in ROLES], MATRIX[op.name].split(), strict=True))
        verdicts |= {alias: verdicts[role] for alias, role in ALIASES.items()}
        for caller, verdict in verdicts.items():
            for target in op.targets or ("A",):
                cells.append(Cell(caller, op, target, _expected(op, verdict, target)))
        home = "A" if "A" in op.targets or not op.targets else op.targets[0]
        for caller in UNAUTHENTICATED:
            expected = "allowed" if op.name in PUBLIC else "UNAUTHENTICATED"
            cells.append(Cell(caller, op, home, expected))
    return cells


def _param(cell: Cell) -> Any:
    gap = KNOWN_GAPS.get(cell.id)
    marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
    return pytest.param(cell, id=cell.id, marks=marks)


CELLS = [_param(cell) for cell in _cells()]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    async with built_world(ROLES) as built:
        yield built


async def _audit_rows(world: World) -> dict[str, tuple[str | None, str]]:
    """Every audit entry so far: id -> (actor id, action)."""
    async with world.gateway.runtime.sessions() as session:
        query = select(AuditLog.id, AuditLog.actor_id, AuditLog.action)
        return {row_id: (actor, action) for row_id, actor, action in await session.exec(query)}


async def _audit_count(world: World) -> int:
    async with world.gateway.runtime.sessions() as session:
        return (await session.exec(select(func.count(col(AuditLog.id))))).one()


def _codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "?") for e in body.get("errors") or []]


@pytest.mark.parametrize("cell", CELLS)
async def test_cell(world: World, cell: Cell) -> None:
    op, target = cell.op, world.target(cell.target, cell.caller)
    variables = op.variables(target, await op.fresh(world, target))
    mutation = op.document.lstrip().startswith("mutation")
    audited = await _audit_count(world)
    before = await _audit_rows(world) if mutation else {}
    body = await world.call(cell.caller, op.document, variables)
    where = f"{cell.id}: expected {cell.expected}, got {body}"
    if cell.expected in ("FORBIDDEN", "UNAUTHENTICATED"):
        assert _codes(body) == [cell.expected], where
        assert body.get("data") is None, where
        # A refused call changes nothing, so it leaves no audit entry either.
        assert await _audit_count(world) == audited, f"{cell.id}: a refused call was audited"
        return
    if cell.expected == "refused":
        assert "errors" not in body, where
        payload = body["data"][next(iter(body["data"]))]
        assert [e["code"] for e in payload["errors"]] == [op.refusal], where
        assert await _audit_count(world) == audited, f"{cell.id}: a refused call was audited"
        return
    if mutation and cell.expected != "capped":
        # Every change is audited, by the caller who made it.
        after = await _audit_rows(world)
        rows = [entry for row_id, entry in after.items() if row_id not in before]
        assert rows, f"{cell.id}: the change left no audit entry"
        user_id = world.users.get(cell.caller)
        if user_id is not None and op.name != "login":  # a sign-in is the signer's act
            assert {actor for actor, _ in rows} == {user_id}, f"{cell.id}: audited as {rows}"
    assert "errors" not in body, where
    data: dict[str, Any] = body["data"]
    answer = data[next(iter(data))]
    assert answer is not None, where
    payload_errors = answer.get("errors", []) if isinstance(answer, dict) else []
    if cell.expected == "capped":
        assert [e["code"] for e in payload_errors] == ["exceeds_owner_limit"], where
        return
    assert payload_errors == [], where
    if op.check is not None:
        op.check(world, cell.caller, data)
    if op.shows is not None:
        shown = op.shows(world, data)
        assert (shown is not None) == (cell.expected == "shown"), where
    if op.seen is None:
        return
    seen = op.seen(world, data)
    if op.targeted:
        assert seen == {world.label(target.id)}, f"{where}; saw rows of {sorted(seen)}"
    elif cell.expected == "sees:all":
        assert seen >= {"A", "B"}, f"{where}; saw rows of {sorted(seen)}"
    else:
        assert seen == {world.own.label}, f"{where}; saw rows of {sorted(seen)}"


async def test_every_operation_has_a_row() -> None:
    """A new query or mutation must get its row here (self-service calls on the caller's
    own account are tested with the identity flows instead)."""
    self_service = {
        "changePassword",
        "confirmMfaEnrollment",
        "disableMfa",
        "logout",
        "startMfaEnrollment",
    }
    graphql = schema._schema
    fields = set(graphql.query_type.fields) | set(graphql.mutation_type.fields)
    named = {name for op in OPS for name in re.findall(r"(\w+)\s*[({]", op.document)}
    assert sorted(fields - named - self_service) == []
