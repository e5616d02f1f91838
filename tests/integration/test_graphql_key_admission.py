"""keyAdmission over POST /graphql: the limits in force at every level of a key, what is
used and left now, and a dry run that walks admission without reserving anything."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from app.keys.spec import KeySpec
from app.users.models import OrgRole, PlatformRole
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import codes, gql, new_org, new_team, signed_in

HI = [{"role": "user", "content": "Hi"}]
# The fake answers 9 prompt + 3 completion tokens: at these prices a call costs $0.012.
PRICE = {"input_cost_per_token": "0.001", "output_cost_per_token": "0.001"}

LEVEL = """kind ownerId model rpm { limit used remaining resetsAt }
  tpm { limit used remaining } parallel { limit inFlight remaining }
  budget { maxBudget budgetDuration spent reserved remaining periodStart resetsAt }"""
ADMISSION = f"""query($k: ID!, $m: String, $t: Int! = 0, $o: Int) {{
  keyAdmission(keyId: $k, model: $m, estimatedTokens: $t, maxOutputTokens: $o) {{
    keyId checkedAt levels {{ {LEVEL} }}
    tightest {{ limit remaining level {{ kind ownerId }} }}
    dryRun {{ model modelGroup estimatedTokens maxOutputTokens reserve admitted
      refusal {{ code message limit retryAfterSeconds level {{ kind ownerId }} }} }} }} }}"""


@pytest.fixture
async def gateway(fake_openai: FakeOpenAI) -> AsyncIterator[RunningGateway]:
    config = {
        "model_list": [
            {
                "model_name": name,
                "deltallm_params": {
                    "model": f"openai/{name}",
                    "api_base": fake_openai.base_url,
                    **PRICE,
                },
            }
            for name in ("gpt-a", "gpt-b")
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        # Ten seconds into the current minute (and a whole number of seconds): the
        # per-minute windows and their resets do not depend on when the test runs.
        now = time.time() // 60 * 60 + 10
        gw.runtime.gateway.set_clock(lambda: now)
        yield gw


async def ask(gw: RunningGateway, secret: str, model: str = "gpt-a") -> None:
    async with gw.client(secret) as client:
        await client.chat.completions.create(model=model, messages=HI, max_tokens=10)


async def admission(gw: RunningGateway, key_id: str, **variables: Any) -> dict[str, Any]:
    body = await gql(gw, ADMISSION, {"k": key_id, **variables})
    assert "errors" not in body, body
    answer: dict[str, Any] = body["data"]["keyAdmission"]
    return answer


def level(answer: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [lv for lv in answer["levels"] if lv["kind"] == kind]
    return found


async def test_levels_show_limits_usage_and_the_tightest(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)  # maxBudget 10.5, rpmLimit 60
    team_id = await new_team(gateway, org_id)
    created = await gateway.runtime.keys.create(
        KeySpec(
            team_id=team_id,
            rpm_limit=3,
            tpm_limit=1000,
            max_parallel_requests=4,
            max_budget=Decimal("0.05"),
            budget_duration="1d",
            model_rpm_limit={"gpt-a": 5},
        )
    )
    key = created.key
    await ask(gateway, created.secret)

    answer = await admission(gateway, key.id)
    assert answer["keyId"] == key.id and answer["dryRun"] is None
    assert sorted(lv["kind"] for lv in answer["levels"]) == ["KEY", "KEY_MODEL", "ORGANIZATION"]
    mine = level(answer, "KEY")
    assert mine["ownerId"] == key.id
    minute_end = mine["rpm"]["resetsAt"]
    assert mine["rpm"] == {"limit": 3, "used": 1, "remaining": 2, "resetsAt": minute_end}
    assert minute_end.endswith(":00+00:00") and answer["checkedAt"].endswith(":10+00:00")
    assert mine["tpm"]["used"] == 12  # corrected at settlement to the reported usage
    assert mine["parallel"] == {"limit": 4, "inFlight": 0, "remaining": 4}
    budget = mine["budget"]
    assert (budget["maxBudget"], budget["spent"], budget["reserved"]) == ("0.05", "0.012", "0")
    assert budget["remaining"] == "0.038" and budget["budgetDuration"] == "1d"
    assert budget["periodStart"].endswith("T00:00:00+00:00")
    assert budget["resetsAt"].endswith("T00:00:00+00:00")
    org = level(answer, "ORGANIZATION")
    assert org["ownerId"] == org_id and org["rpm"]["used"] == 1 and org["rpm"]["limit"] == 60
    assert org["budget"]["spent"] == "0.012" and org["budget"]["resetsAt"] is None
    per_model = level(answer, "KEY_MODEL")
    assert (per_model["ownerId"], per_model["model"]) == (key.id, "gpt-a")
    assert per_model["rpm"]["used"] == 1 and per_model["budget"] is None
    tightest = {t["limit"]: (t["level"]["kind"], t["remaining"]) for t in answer["tightest"]}
    assert tightest == {
        "RPM": ("KEY", "2"),
        "TPM": ("KEY", "988"),
        "PARALLEL": ("KEY", "4"),
        "BUDGET": ("KEY", "0.038"),
    }


async def test_a_dry_run_names_the_first_rule_that_would_refuse(gateway: RunningGateway) -> None:
    org_id = await new_org(gateway)
    team_id = await new_team(gateway, org_id)
    spec = KeySpec(team_id=team_id, rpm_limit=3, max_budget=Decimal("0.05"), models=["gpt-a"])
    created = await gateway.runtime.keys.create(spec)
    key_id, secret = created.key.id, created.secret
    await ask(gateway, secret)

    fits = (await admission(gateway, key_id, m="gpt-a", t=10, o=10))["dryRun"]
    assert fits == {
        "model": "gpt-a",
        "modelGroup": "gpt-a",
        "estimatedTokens": 10,
        "maxOutputTokens": 10,
        "reserve": "0.02",
        "admitted": True,
        "refusal": None,
    }
    # Without a cap on the output, admission reserves 4,096 output tokens: $4.106.
    costly = (await admission(gateway, key_id, m="gpt-a", t=10))["dryRun"]
    assert (costly["maxOutputTokens"], costly["reserve"], costly["admitted"]) == (
        4096,
        "4.106",
        False,
    )
    assert costly["refusal"]["code"] == "budget_exceeded"
    assert costly["refusal"]["limit"] == "BUDGET"
    assert costly["refusal"]["level"] == {"kind": "KEY", "ownerId": key_id}
    assert costly["refusal"]["message"].startswith("Budget exceeded for this key")

    # Dry runs reserve nothing: the minute still holds one request, and two more fit.
    answer = await admission(gateway, key_id)
    assert level(answer, "KEY")["rpm"]["used"] == 1
    assert level(answer, "KEY")["budget"]["reserved"] == "0"
    await ask(gateway, secret)
    await ask(gateway, secret)
    full = (await admission(gateway, key_id, m="gpt-a", t=10, o=10))["dryRun"]["refusal"]
    assert full["code"] == "rate_limit_exceeded" and full["limit"] == "RPM"
    assert full["retryAfterSeconds"] == 50.0  # the clock stands ten seconds into the minute
    assert "requests per minute" in full["message"]

    other = (await admission(gateway, key_id, m="gpt-b", t=1, o=1))["dryRun"]
    assert other["admitted"] is False and other["refusal"]["code"] == "model_not_allowed"
    assert other["refusal"]["level"] is None and other["refusal"]["limit"] is None
    await gateway.runtime.keys.set_blocked(key_id, True)
    blocked = (await admission(gateway, key_id, m="gpt-a", t=1, o=1))["dryRun"]["refusal"]
    assert blocked["code"] == "key_blocked"


async def test_an_unknown_model_and_bad_input(gateway: RunningGateway) -> None:
    key_id = (await gateway.runtime.keys.create(KeySpec())).key.id
    unknown = (await admission(gateway, key_id, m="nope", t=1))["dryRun"]
    assert unknown["refusal"]["code"] == "model_not_found" and unknown["modelGroup"] is None
    # A key with no limits anywhere has no levels, and a call to a known model fits.
    plain = await admission(gateway, key_id, m="gpt-b", t=1, o=1)
    assert plain["levels"] == [] and plain["tightest"] == []
    assert plain["dryRun"]["admitted"] is True
    negative = await gql(gateway, ADMISSION, {"k": key_id, "m": "gpt-a", "t": -1})
    assert codes(negative) == ["BAD_USER_INPUT"] and negative["data"] is None
    missing = await gql(gateway, ADMISSION, {"k": "no-such-key"})
    assert codes(missing) == ["NOT_FOUND"]


async def test_visible_to_whoever_may_see_the_key(gateway: RunningGateway) -> None:
    org_id, other_org = await new_org(gateway, "Acme"), await new_org(gateway, "Other")
    team_id = await new_team(gateway, org_id)
    key_id = (await gateway.runtime.keys.create(KeySpec(team_id=team_id, rpm_limit=5))).key.id
    _, member = await signed_in(gateway, orgs={org_id: OrgRole.ORG_MEMBER})
    _, outsider = await signed_in(gateway, orgs={other_org: OrgRole.ORG_OWNER})
    _, co_admin = await signed_in(gateway, platform_role=PlatformRole.PLATFORM_CO_ADMIN)
    for headers in (member, co_admin):
        body = await gql(gateway, ADMISSION, {"k": key_id}, headers=headers)
        assert body["data"]["keyAdmission"]["levels"][0]["rpm"]["limit"] == 5, body
    refused = await gql(gateway, ADMISSION, {"k": key_id}, headers=outsider)
    assert codes(refused) == ["FORBIDDEN"] and refused["data"] is None
