"""Account administration and MFA over the admin API (POST /graphql on a running gateway).

Platform roles, MFA off (by the user with a code, or by an admin), password resets by
rank, MFA required of administrators, and the first admin created from config.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
import yaml

from app.errors import ConfigError
from app.settings import load_config
from tests.support.gateway import RunningGateway, running_gateway

CSRF = {"x-deltallm-csrf": "1"}
PASSWORD = "a long enough passphrase"
LOGIN = """mutation($e: String!, $p: String!, $c: String) { login(email: $e, password: $p,
    totpCode: $c) { ok mfaRequired mustChangePassword errors { code } } }"""
SET_ROLE = """mutation($u: ID!, $r: PlatformRole!) { setUserRole(userId: $u, role: $r) {
    user { id platformRole } errors { field code } } }"""
RESET_MFA = """mutation($u: ID!) { resetMfa(userId: $u) { user { mfaEnabled }
    errors { field code } } }"""
DISABLE_MFA = """mutation($c: String!) { disableMfa(code: $c) { user { mfaEnabled }
    errors { field code } } }"""
RESET_PASSWORD = """mutation($u: ID!) { resetPassword(userId: $u) { temporaryPassword
    errors { field code } } }"""
AUDIT = """query($t: String!) {
    auditLog(targetType: "user", targetId: $t, order: OLDEST_FIRST) { edges { node {
    actorType actorId action before after requestId } } } }"""


def next_code(secret: str, steps: int = 1) -> str:
    """A later time step's code: accepted (clock drift), and later than one just spent."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


class Console:
    """A browser signed in to the console: its cookie jar and the CSRF header."""

    def __init__(self, gw: RunningGateway) -> None:
        self.http = httpx.AsyncClient(base_url=gw.root, headers=CSRF)

    async def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def master(gw: RunningGateway, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=gw.root) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {gw.master_key}"},
        )
    body: dict[str, Any] = response.json()
    return body


def error(body: dict[str, Any]) -> tuple[str, str | None]:
    [first] = body["errors"]
    return first["extensions"]["code"], first["extensions"].get("reason")


class Accounts:
    """Users made through ``createUser`` and signed in with a password of their own."""

    def __init__(self, gw: RunningGateway) -> None:
        self.gw = gw
        self.consoles: list[Console] = []

    async def create(self, email: str, role: str = "ORG_USER") -> tuple[str, str]:
        """(id, temporary password)"""
        body = await master(
            self.gw,
            """mutation($e: String!, $r: PlatformRole!) { createUser(email: $e, role: $r) {
            user { id } temporaryPassword errors { code } } }""",
            e=email,
            r=role,
        )
        created = body["data"]["createUser"]
        return created["user"]["id"], created["temporaryPassword"]

    async def sign_in(self, email: str, password: str, code: str | None = None) -> Console:
        console = Console(self.gw)
        self.consoles.append(console)
        login = (await console.gql(LOGIN, e=email, p=password, c=code))["data"]["login"]
        assert login["ok"], login
        return console

    async def ready(self, email: str, role: str = "ORG_USER") -> tuple[str, Console]:
        """A user who has signed in and replaced the temporary password."""
        user_id, temporary = await self.create(email, role)
        console = await self.sign_in(email, temporary)
        changed = await console.gql(
            "mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) { code } }",
            c=temporary,
            n=PASSWORD,
        )
        assert changed["data"]["changePassword"] == []
        return user_id, console

    async def enroll(self, console: Console) -> tuple[str, str, list[str]]:
        """(secret, the code spent on confirming, recovery codes)"""
        started = await console.gql("mutation { startMfaEnrollment { secret } }")
        secret = started["data"]["startMfaEnrollment"]["secret"]
        code = pyotp.TOTP(secret).now()
        confirmed = await console.gql(
            "mutation($c: String!) { confirmMfaEnrollment(code: $c) }", c=code
        )
        return secret, code, confirmed["data"]["confirmMfaEnrollment"]


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    async with running_gateway({"model_list": []}) as gw:
        yield gw


@pytest.fixture
async def accounts(gateway: RunningGateway) -> AsyncIterator[Accounts]:
    made = Accounts(gateway)
    try:
        yield made
    finally:
        for console in made.consoles:
            await console.http.aclose()


async def test_set_user_role_rules(gateway: RunningGateway, accounts: Accounts) -> None:
    admin_id, _ = await accounts.create("admin@example.com", "PLATFORM_ADMIN")
    user_id, _ = await accounts.create("user@example.com")
    co_id, co = await accounts.ready("co@example.com", "PLATFORM_CO_ADMIN")

    raised = await co.gql(SET_ROLE, u=user_id, r="PLATFORM_CO_ADMIN")
    assert raised["data"]["setUserRole"] == {
        "user": {"id": user_id, "platformRole": "PLATFORM_CO_ADMIN"},
        "errors": [],
    }
    for target, role, reason in (
        (user_id, "PLATFORM_ADMIN", "forbidden"),  # above the caller's own role
        (admin_id, "ORG_USER", "forbidden"),  # someone above the caller
        (co_id, "ORG_USER", "own_account"),
    ):
        assert error(await co.gql(SET_ROLE, u=target, r=role)) == ("FORBIDDEN", reason)
    missing = await co.gql(SET_ROLE, u="no-such-user", r="ORG_USER")
    assert missing["data"]["setUserRole"] == {
        "user": None,
        "errors": [{"field": "userId", "code": "user_not_found"}],
    }
    made_admin = await master(gateway, SET_ROLE, u=user_id, r="PLATFORM_ADMIN")
    assert made_admin["data"]["setUserRole"]["user"]["platformRole"] == "PLATFORM_ADMIN"

    entries = (await master(gateway, AUDIT, t=user_id))["data"]["auditLog"]["edges"]
    changes = [e["node"] for e in entries if e["node"]["action"] == "user.set_role"]
    assert [(c["actorType"], c["actorId"], c["before"], c["after"]) for c in changes] == [
        ("user", co_id, {"platform_role": "org_user"}, {"platform_role": "platform_co_admin"}),
        (
            "master_key",
            "master",
            {"platform_role": "platform_co_admin"},
            {"platform_role": "platform_admin"},
        ),
    ]
    assert all(c["requestId"] for c in changes)


async def test_a_new_role_applies_to_the_next_request_of_a_session(
    gateway: RunningGateway, accounts: Accounts
) -> None:
    co_id, co = await accounts.ready("co@example.com", "PLATFORM_CO_ADMIN")
    assert (await co.gql("{ users { totalCount } }"))["data"]["users"]["totalCount"] == 1
    await master(gateway, SET_ROLE, u=co_id, r="ORG_USER")
    assert error(await co.gql("{ users { totalCount } }")) == ("FORBIDDEN", "forbidden")
    assert (await co.gql("{ me { platformRole } }"))["data"]["me"] == {"platformRole": "ORG_USER"}
    assert error(await co.gql(SET_ROLE, u=co_id, r="PLATFORM_ADMIN")) == (
        "FORBIDDEN",
        "forbidden",
    )
    await master(gateway, SET_ROLE, u=co_id, r="PLATFORM_CO_ADMIN")
    assert (await co.gql("{ users { totalCount } }"))["data"]["users"]["totalCount"] == 1


async def test_self_service_mfa_off_needs_a_fresh_code(
    gateway: RunningGateway, accounts: Accounts
) -> None:
    user_id, console = await accounts.ready("ada@example.com")
    not_on = await console.gql(DISABLE_MFA, c="123456")
    assert not_on["data"]["disableMfa"]["errors"] == [{"field": None, "code": "mfa_not_enabled"}]
    secret, spent, recovery = await accounts.enroll(console)
    for wrong in (spent, "000000" if spent != "000000" else "111111"):
        refused = await console.gql(DISABLE_MFA, c=wrong)
        assert refused["data"]["disableMfa"] == {
            "user": None,
            "errors": [{"field": "code", "code": "invalid_mfa_code"}],
        }
    off = await console.gql(DISABLE_MFA, c=next_code(secret))
    assert off["data"]["disableMfa"] == {"user": {"mfaEnabled": False}, "errors": []}
    secret, _, recovery = await accounts.enroll(console)
    with_recovery = await console.gql(DISABLE_MFA, c=recovery[3])
    assert with_recovery["data"]["disableMfa"]["user"] == {"mfaEnabled": False}
    plain = await accounts.sign_in("ada@example.com", PASSWORD)
    assert (await plain.gql("{ me { email } }"))["data"]["me"]["email"] == "ada@example.com"

    entries = (await master(gateway, AUDIT, t=user_id))["data"]["auditLog"]["edges"]
    actions = [e["node"]["action"] for e in entries]
    assert actions == [
        "user.create",
        "session.login",
        "user.change_password",
        "user.start_mfa_enrollment",
        "user.enable_mfa",
        "user.disable_mfa_failed",
        "user.disable_mfa_failed",
        "user.disable_mfa",
        "user.start_mfa_enrollment",
        "user.enable_mfa",
        "user.disable_mfa",
        "session.login",
    ]
    assert error(await master(gateway, DISABLE_MFA, c="123456")) == (
        "BAD_USER_INPUT",
        "not_a_user",
    )


async def test_wrong_codes_to_turn_mfa_off_lock_the_account(accounts: Accounts) -> None:
    _, console = await accounts.ready("ada@example.com")
    secret, spent, _ = await accounts.enroll(console)
    for _ in range(5):
        await console.gql(DISABLE_MFA, c=spent)
    locked = await console.gql(DISABLE_MFA, c=next_code(secret))
    assert locked["data"]["disableMfa"]["errors"] == [{"field": None, "code": "account_locked"}]
    other = Console(accounts.gw)
    accounts.consoles.append(other)
    login = await other.gql(LOGIN, e="ada@example.com", p=PASSWORD, c=next_code(secret))
    assert login["data"]["login"]["errors"] == [{"code": "account_locked"}]


async def test_admins_reset_mfa_of_users_up_to_their_own_role(
    gateway: RunningGateway, accounts: Accounts
) -> None:
    admin_id, _ = await accounts.create("admin@example.com", "PLATFORM_ADMIN")
    user_id, user = await accounts.ready("ada@example.com")
    await accounts.enroll(user)
    co_id, co = await accounts.ready("co@example.com", "PLATFORM_CO_ADMIN")

    assert error(await user.gql(RESET_MFA, u=user_id)) == ("FORBIDDEN", "forbidden")
    assert error(await co.gql(RESET_MFA, u=admin_id)) == ("FORBIDDEN", "forbidden")
    assert error(await co.gql(RESET_MFA, u=co_id)) == ("FORBIDDEN", "own_account")
    missing = await co.gql(RESET_MFA, u="no-such-user")
    assert missing["data"]["resetMfa"]["errors"] == [{"field": "userId", "code": "user_not_found"}]
    reset = await co.gql(RESET_MFA, u=user_id)
    assert reset["data"]["resetMfa"] == {"user": {"mfaEnabled": False}, "errors": []}
    again = Console(gateway)
    accounts.consoles.append(again)
    login = await again.gql(LOGIN, e="ada@example.com", p=PASSWORD)
    assert login["data"]["login"]["ok"] is True

    entries = (await master(gateway, AUDIT, t=user_id))["data"]["auditLog"]["edges"]
    [entry] = [e["node"] for e in entries if e["node"]["action"] == "user.reset_mfa"]
    assert (entry["actorId"], entry["before"], entry["after"]) == (
        co_id,
        {"mfa_enabled": True},
        {"mfa_enabled": False},
    )


async def test_password_resets_respect_rank(gateway: RunningGateway, accounts: Accounts) -> None:
    admin_id, _ = await accounts.create("admin@example.com", "PLATFORM_ADMIN")
    user_id, _ = await accounts.create("ada@example.com")
    co_id, co = await accounts.ready("co@example.com", "PLATFORM_CO_ADMIN")
    assert error(await co.gql(RESET_PASSWORD, u=admin_id)) == ("FORBIDDEN", "forbidden")
    assert error(await co.gql(RESET_PASSWORD, u=co_id)) == ("FORBIDDEN", "own_account")
    missing = await co.gql(RESET_PASSWORD, u="no-such-user")
    assert missing["data"]["resetPassword"] == {
        "temporaryPassword": None,
        "errors": [{"field": "userId", "code": "user_not_found"}],
    }
    reset = await co.gql(RESET_PASSWORD, u=user_id)
    temporary = reset["data"]["resetPassword"]["temporaryPassword"]
    signed_in = await accounts.sign_in("ada@example.com", temporary)
    assert (await signed_in.gql("{ me { mustChangePassword } }"))["data"]["me"] == {
        "mustChangePassword": True
    }


@pytest.fixture
async def strict_accounts() -> AsyncIterator[Accounts]:
    """Accounts on a gateway with ``require_mfa_for_admins``."""
    config = {"model_list": [], "general_settings": {"require_mfa_for_admins": True}}
    async with running_gateway(config) as gw:
        made = Accounts(gw)
        try:
            yield made
        finally:
            for console in made.consoles:
                await console.http.aclose()


async def test_mfa_required_of_admins_when_configured(strict_accounts: Accounts) -> None:
    accounts, gw = strict_accounts, strict_accounts.gw
    _, temporary = await accounts.create("admin@example.com", "PLATFORM_ADMIN")
    admin = await accounts.sign_in("admin@example.com", temporary)
    # a forced password change comes first, and stays possible
    assert error(await admin.gql("{ users { totalCount } }")) == (
        "PASSWORD_CHANGE_REQUIRED",
        "password_change_required",
    )
    changed = await admin.gql(
        "mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) { code } }",
        c=temporary,
        n=PASSWORD,
    )
    assert changed["data"]["changePassword"] == []
    for blocked in (
        "{ users { totalCount } }",
        'mutation { createOrganization(name: "Acme") { __typename } }',
    ):
        assert error(await admin.gql(blocked)) == ("MFA_REQUIRED", "mfa_required"), blocked
    me = await admin.gql("{ me { email mfaSetupRequired } }")
    assert me["data"]["me"] == {"email": "admin@example.com", "mfaSetupRequired": True}

    secret, _, recovery = await accounts.enroll(admin)  # this session now counts as verified
    assert (await admin.gql("{ users { totalCount } }"))["data"]["users"]["totalCount"] == 1
    me = await admin.gql("{ me { mfaSetupRequired } }")
    assert me["data"]["me"] == {"mfaSetupRequired": False}
    elsewhere = await accounts.sign_in("admin@example.com", PASSWORD, recovery[0])
    assert (await elsewhere.gql("{ users { totalCount } }"))["data"]["users"]["totalCount"] == 1

    off = await admin.gql(DISABLE_MFA, c=next_code(secret))
    assert off["data"]["disableMfa"]["errors"] == []
    for session in (admin, elsewhere):  # no session of the admin is verified any more
        assert error(await session.gql("{ users { totalCount } }")) == (
            "MFA_REQUIRED",
            "mfa_required",
        )

    # people without a platform role, and keys, are not concerned
    _, user = await accounts.ready("ada@example.com")
    orgs = await user.gql("{ organizations { totalCount } }")
    assert orgs == {"data": {"organizations": {"totalCount": 0}}}
    listed = await master(gw, "{ users { totalCount } }")
    assert listed["data"]["users"]["totalCount"] == 2


async def test_first_admin_from_config(tmp_path: Path) -> None:
    config = {
        "model_list": [],
        "general_settings": {
            "first_admin_email": "Root@Example.com",
            "first_admin_password": "os.environ/FIRST_ADMIN_PASSWORD",
        },
    }
    secret = "the bootstrap passphrase"
    async with running_gateway(config, env={"FIRST_ADMIN_PASSWORD": secret}) as gw:
        console = Console(gw)
        try:
            login = await console.gql(LOGIN, e="root@example.com", p=secret)
            assert login["data"]["login"] == {
                "ok": True,
                "mfaRequired": False,
                "mustChangePassword": True,
                "errors": [],
            }
            me = await console.gql("{ me { email platformRole mustChangePassword } }")
            assert me["data"]["me"] == {
                "email": "root@example.com",
                "platformRole": "PLATFORM_ADMIN",
                "mustChangePassword": True,
            }
        finally:
            await console.http.aclose()

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as missing:
        load_config(path, env={})
    assert missing.value.problems == [
        "general_settings.first_admin_password: environment variable FIRST_ADMIN_PASSWORD "
        "is not set"
    ]
    with pytest.raises(ConfigError) as weak:
        load_config(path, env={"FIRST_ADMIN_PASSWORD": "short"})
    assert weak.value.problems == [
        "general_settings.first_admin_password: the password must have at least 12 characters"
    ]
    path.write_text(yaml.safe_dump({"general_settings": {"first_admin_email": "a@b.example"}}))
    with pytest.raises(ConfigError) as alone:
        load_config(path, env={})
    assert alone.value.problems == [
        "general_settings: first_admin_email and first_admin_password go together"
    ]
