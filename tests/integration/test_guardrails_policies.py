"""Keyword rules, Lakera Guard v2 and an external Presidio server (loopback stand-ins), the
four modes, assignment by key, team, deployment and request, and blocks answered in the
shape of each route (OpenAI, Anthropic Messages, Responses)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest

from app.keys.spec import KeySpec
from tests.support.fake_guards import FakeGuardServices
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.scrape import scrape
from tests.support.tenancy import make_org, make_team

HI = [{"role": "user", "content": "Hello there"}]


def _guard(name: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"guardrail_name": name, "litellm_params": {"guardrail": kind, **params}}


@pytest.fixture
async def services() -> AsyncIterator[FakeGuardServices]:
    server = await FakeGuardServices().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def gateway(
    fake_openai: FakeOpenAI, services: FakeGuardServices
) -> AsyncIterator[RunningGateway]:
    lakera = {"api_base": services.base_url, "api_key": "lk-test", "timeout": 0.5}
    config = {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "api_base": fake_openai.base_url},
            },
            {
                "model_name": "gpt-guarded",
                "deltallm_params": {
                    "model": "openai/gpt-g",
                    "api_base": fake_openai.base_url,
                    "guardrails": ["words"],
                },
            },
        ],
        "guardrails": [
            _guard("words", "keywords", keywords=["project falcon"], patterns=[r"ACME-\d{4}"]),
            _guard("words-mask", "keywords", keywords=["falcon"], keyword_action="MASK"),
            _guard(
                "words-log",
                "keywords",
                keywords=["falcon"],
                keyword_action="MASK",
                mode="logging_only",
            ),
            _guard("lakera", "lakera_v2", mode="pre_call", **lakera),
            _guard("lakera-open", "lakera_v2", unreachable_fallback="fail_open", **lakera),
            _guard("lakera-watch", "lakera_v2", on_flagged="monitor", **lakera),
            _guard("lakera-during", "lakera_v2", mode="during_call", **lakera),
            _guard("held", "keywords", keywords=["secret"], mode="post_call", stream_hold=True),
            _guard("pii-down", "presidio", presidio_analyzer_api_base="http://127.0.0.1:9"),
            _guard(
                "pii-server",
                "presidio",
                presidio_analyzer_api_base=services.base_url,
                pii_entities_config={"EMAIL_ADDRESS": "MASK"},
            ),
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config) as gw:
        yield gw


async def _chat(gw: RunningGateway, names: list[str], key: str | None = None, **kw: Any) -> Any:
    async with gw.client(key) as client:
        return await client.chat.completions.with_raw_response.create(
            model=kw.pop("model", "gpt-a"),
            messages=kw.pop("messages", HI),
            extra_body={"guardrails": names},
            **kw,
        )


async def test_keyword_rules_block_words_and_patterns_and_mask_where_told(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    for text in ("Tell me about Project  Falcon".replace("  ", " "), "Order ACME-1234 now"):
        with pytest.raises(openai.BadRequestError) as caught:
            await _chat(gateway, ["words"], messages=[{"role": "user", "content": text}])
        message = str(caught.value.body)
        assert "words" in message and "falcon" not in message.lower() and "1234" not in message
    raw = await _chat(
        gateway, ["words-mask"], messages=[{"role": "user", "content": "falcons and a falcon"}]
    )
    assert raw.headers["x-deltallm-applied-guardrails"] == "words-mask"
    assert fake_openai.requests[-1].body["messages"][0]["content"] == "falcons and a <KEYWORD>"
    metrics = await scrape(gateway.root, gateway.master_key)
    checks = "deltallm_guardrail_checks_total"
    assert metrics.value(checks, guardrail="words", mode="pre_call", outcome="blocked") == 2
    assert metrics.value(checks, guardrail="words-mask", mode="pre_call", outcome="masked") == 1
    assert metrics.total("deltallm_guardrail_latency_seconds_count", guardrail="words") == 2


async def test_logging_only_never_changes_what_the_upstream_gets(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    raw = await _chat(
        gateway, ["words-log"], messages=[{"role": "user", "content": "the falcon flies"}]
    )
    assert raw.headers["x-deltallm-applied-guardrails"] == "words-log"
    assert fake_openai.requests[-1].body["messages"][0]["content"] == "the falcon flies"


@pytest.mark.parametrize(
    ("state", "guardrail", "outcome"),
    [
        ("clean", "lakera", 200),
        ("flagged", "lakera", 400),
        ("flagged", "lakera-watch", 200),
        ("timeout", "lakera", 503),
        ("timeout", "lakera-open", 200),
        ("error", "lakera", 503),
        ("error", "lakera-open", 200),
    ],
)
async def test_lakera_in_its_four_states(
    gateway: RunningGateway,
    fake_openai: FakeOpenAI,
    services: FakeGuardServices,
    state: str,
    guardrail: str,
    outcome: int,
) -> None:
    services.lakera_state = state
    if outcome == 200:
        raw = await _chat(gateway, [guardrail])
        assert raw.headers["x-deltallm-applied-guardrails"] == guardrail
        assert len(fake_openai.requests) == 1
    else:
        with pytest.raises(openai.APIStatusError) as caught:
            await _chat(gateway, [guardrail])
        assert caught.value.status_code == outcome
        assert caught.value.response.headers["x-deltallm-applied-guardrails"] == guardrail
        code = "guardrail_violation" if outcome == 400 else "guardrail_unavailable"
        assert isinstance(caught.value.body, dict) and caught.value.body["code"] == code
        if outcome == 400:
            assert "prompt_attack" in caught.value.body["message"]
        assert fake_openai.requests == []
    path, headers, body = services.requests[0]
    assert path == "/v2/guard" and headers["Authorization"] == "Bearer lk-test"
    assert body == {"messages": [{"role": "user", "content": "Hello there"}]}


async def test_during_call_holds_the_answer_and_a_block_discards_it(
    gateway: RunningGateway, fake_openai: FakeOpenAI, services: FakeGuardServices
) -> None:
    raw = await _chat(gateway, ["lakera-during"])
    assert raw.parse().choices[0].message.content == fake_openai.reply
    services.lakera_state = "flagged"
    with pytest.raises(openai.BadRequestError):
        await _chat(gateway, ["lakera-during"])
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError):
            stream = await client.chat.completions.create(
                model="gpt-a",
                messages=HI,
                stream=True,
                extra_body={"guardrails": ["lakera-during"]},
            )
            async for _ in stream:
                pass


async def test_a_held_stream_is_checked_before_its_first_byte(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "the secret is out"
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="gpt-a", messages=HI, stream=True, extra_body={"guardrails": ["held"]}
            )
        assert caught.value.response.headers["x-deltallm-applied-guardrails"] == "held"
        fake_openai.reply = "all clear"
        stream = await client.chat.completions.create(
            model="gpt-a", messages=HI, stream=True, extra_body={"guardrails": ["held"]}
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "all clear"


async def test_assignment_by_key_team_deployment_and_request(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    sessions = gateway.runtime.sessions
    org = await make_org(sessions)
    team = await make_team(sessions, org, guardrails=["words-mask"])
    keys = gateway.runtime.keys
    plain = await keys.create(KeySpec())
    keyed = await keys.create(KeySpec(guardrails=["words"], team_id=team.id))
    chooser = await keys.create(KeySpec(allow_request_guardrails=True))
    falcon = [{"role": "user", "content": "about project falcon"}]
    async with gateway.client(keyed.secret) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(model="gpt-a", messages=falcon)
    assert caught.value.response.headers["x-deltallm-applied-guardrails"] == "words,words-mask"
    with pytest.raises(openai.BadRequestError):  # the deployment's guardrail
        await _chat(gateway, [], key=plain.secret, model="gpt-guarded", messages=falcon)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        await _chat(gateway, ["words"], key=plain.secret)
    assert isinstance(refused.value.body, dict)
    assert refused.value.body["code"] == "guardrails_not_allowed"
    raw = await _chat(gateway, ["words-mask"], key=chooser.secret, messages=falcon)
    assert raw.headers["x-deltallm-applied-guardrails"] == "words-mask"
    sent = fake_openai.requests[-1].body
    assert "guardrails" not in sent and sent["messages"][0]["content"] == "about project <KEYWORD>"
    with pytest.raises(openai.BadRequestError) as unknown:
        await _chat(gateway, ["nope"], key=chooser.secret)
    assert (
        isinstance(unknown.value.body, dict) and unknown.value.body["code"] == "unknown_guardrail"
    )


async def test_an_assigned_guardrail_that_is_not_defined_refuses_the_call(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    key = await gateway.runtime.keys.create(KeySpec(guardrails=["words", "removed-since"]))
    async with gateway.client(key.secret) as client:
        with pytest.raises(openai.InternalServerError) as caught:
            await client.chat.completions.create(model="gpt-a", messages=HI)
    assert caught.value.status_code == 503
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "guardrail_not_defined"
    assert fake_openai.requests == []


async def test_an_external_presidio_server_finds_what_is_masked(
    gateway: RunningGateway, fake_openai: FakeOpenAI, services: FakeGuardServices
) -> None:
    messages = [{"role": "user", "content": "mail me at a.b@example.com"}]
    await _chat(gateway, ["pii-server"], messages=messages)
    assert fake_openai.requests[-1].body["messages"][0]["content"] == "mail me at <EMAIL_ADDRESS>"
    assert services.requests[0][0] == "/analyze"
    with pytest.raises(openai.InternalServerError) as caught:
        await _chat(gateway, ["pii-down"], messages=messages)
    assert caught.value.status_code == 503
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "guardrail_unavailable"
    assert len(fake_openai.requests) == 1


async def test_anthropic_and_responses_routes_block_in_their_own_shapes(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    falcon = "tell me about project falcon"
    async with anthropic.AsyncAnthropic(
        base_url=gateway.root, api_key=gateway.master_key, max_retries=0
    ) as claude:
        with pytest.raises(anthropic.BadRequestError) as caught:
            await claude.messages.create(
                model="gpt-a",
                max_tokens=20,
                messages=[{"role": "user", "content": falcon}],
                extra_body={"guardrails": ["words"]},
            )
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error" and "words" in body["error"]["message"]
    assert caught.value.response.headers["x-deltallm-applied-guardrails"] == "words"
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError) as refused:
            await client.responses.create(
                model="gpt-a", input=falcon, extra_body={"guardrails": ["words"]}
            )
        assert isinstance(refused.value.body, dict)
        assert refused.value.body["code"] == "guardrail_violation"
        masked = await client.responses.with_raw_response.create(
            model="gpt-a", input="a falcon", extra_body={"guardrails": ["words-mask"]}
        )
    assert masked.headers["x-deltallm-applied-guardrails"] == "words-mask"
    assert fake_openai.requests == [fake_openai.requests[0]]
    assert "<KEYWORD>" in str(fake_openai.requests[0].body)


async def test_held_streams_on_the_anthropic_and_responses_routes_are_blocked_before_they_start(
    gateway: RunningGateway, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = "the secret is out"
    async with anthropic.AsyncAnthropic(
        base_url=gateway.root, api_key=gateway.master_key, max_retries=0
    ) as claude:
        with pytest.raises(anthropic.BadRequestError) as caught:
            async with claude.messages.stream(
                model="gpt-a",
                max_tokens=20,
                messages=[{"role": "user", "content": "tell me"}],
                extra_body={"guardrails": ["held"]},
            ) as stream:
                await stream.get_final_message()
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "error"
    assert "held" in caught.value.body["error"]["message"]
    async with gateway.client() as client:
        with pytest.raises(openai.BadRequestError):
            await client.responses.create(
                model="gpt-a", input="tell me", stream=True, extra_body={"guardrails": ["held"]}
            )
        fake_openai.reply = "nothing to see"
        events = await client.responses.create(
            model="gpt-a", input="tell me", stream=True, extra_body={"guardrails": ["held"]}
        )
        text = "".join([e.delta async for e in events if e.type == "response.output_text.delta"])
    assert text == "nothing to see"
