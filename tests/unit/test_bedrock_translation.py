"""OpenAI chat ↔ Bedrock Converse translation, error mapping and event-stream decoding."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from app.config import DeploymentParams
from app.errors import BadRequestError, UpstreamError, UpstreamUnavailableError
from app.providers.bedrock import BedrockProvider, bedrock_model_id
from app.providers.bedrock_request import to_converse_request
from app.providers.bedrock_response import bedrock_error, to_openai_response
from app.providers.bedrock_stream import EventDecoder
from tests.support.fake_bedrock import encode_frame, event, exception


def test_consecutive_same_role_messages_merge_and_system_is_lifted() -> None:
    request = to_converse_request(
        {
            "messages": [
                {"role": "system", "content": "A"},
                {"role": "developer", "content": [{"type": "text", "text": "B"}]},
                {"role": "user", "content": "one"},
                {"role": "user", "content": "two"},
                {"role": "assistant", "content": ""},
            ],
            "top_p": 0.9,
            "max_completion_tokens": 10,
            "top_k": 5,
        },
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    )
    assert request["system"] == [{"text": "A"}, {"text": "B"}]
    assert request["messages"] == [{"role": "user", "content": [{"text": "one"}, {"text": "two"}]}]
    assert request["inferenceConfig"] == {"maxTokens": 10, "topP": 0.9}
    assert request["additionalModelRequestFields"] == {"top_k": 5}


def test_top_k_per_model_family() -> None:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": "x"}], "top_k": 3}
    nova = to_converse_request(
        body, "arn:aws:bedrock:us-east-1:1:inference-profile/us.amazon.nova-pro-v1:0"
    )
    assert nova["additionalModelRequestFields"] == {"inferenceConfig": {"topK": 3}}
    with pytest.raises(BadRequestError) as caught:
        to_converse_request(body, "meta.llama3-1-70b-instruct-v1:0")
    assert caught.value.param == "top_k"


def test_tool_choice_forms() -> None:
    tool = {"type": "function", "function": {"name": "f"}}
    base: dict[str, Any] = {"messages": [{"role": "user", "content": "x"}], "tools": [tool]}
    named = {"type": "function", "function": {"name": "f"}}
    assert to_converse_request({**base, "tool_choice": named})["toolConfig"]["toolChoice"] == {
        "tool": {"name": "f"}
    }
    assert to_converse_request({**base, "tool_choice": "auto"})["toolConfig"]["toolChoice"] == {
        "auto": {}
    }
    assert "toolConfig" not in to_converse_request({**base, "tool_choice": "none"})


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "n"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "data:,x"}}],
                    }
                ]
            },
            "messages[0].content[0]",
        ),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"id": "1", "function": {"name": "f", "arguments": "{not json"}}
                        ],
                    }
                ]
            },
            "messages[0].tool_calls[0]",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0]"),
    ],
)
def test_bad_requests_name_the_parameter(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        to_converse_request(body)
    assert caught.value.param == param


def test_answer_with_reasoning_text_and_cached_usage() -> None:
    answer = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "think", "signature": "s"}}},
                    {"text": "done"},
                ],
            }
        },
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3, "outputTokens": 2, "cacheReadInputTokens": 10},
    }
    body, usage = to_openai_response(json.dumps(answer).encode(), model="m")
    data = json.loads(body)
    assert data["choices"][0]["message"]["content"] == "done"
    assert data["choices"][0]["message"]["reasoning_content"] == "think"
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (13, 2, 10)


def test_unreadable_answer_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        to_openai_response(b'{"output": {}}', model="m")


@pytest.mark.parametrize(
    ("status", "kind", "expected_status", "retryable"),
    [
        (429, "ThrottlingException", 429, True),
        (400, "ValidationException", 400, None),
        (403, "AccessDeniedException", 502, False),
        (429, "ModelNotReadyException", 503, True),
        (408, "ModelTimeoutException", 504, True),
        (500, "InternalServerException", 502, True),
    ],
)
def test_error_types_map_to_gateway_errors(
    status: int, kind: str, expected_status: int, retryable: bool | None
) -> None:
    headers = {"x-amzn-errortype": f"{kind}:http://internal.amazon.com/coral/"}
    error = bedrock_error(status, b'{"message": "nope"}', headers)
    assert getattr(error, "status_code", None) == expected_status
    assert getattr(error, "retryable", None) == retryable
    assert "nope" in str(error)


def test_event_stream_frames_split_anywhere_decode_whole() -> None:
    frames = event("messageStart", {"role": "assistant"}) + event(
        "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "hé"}}
    )
    for size in (1, 3, 16, len(frames)):
        decoder = EventDecoder()
        events = []
        for cut in range(0, len(frames), size):
            events += decoder.feed(frames[cut : cut + size])
        assert [(kind, name) for kind, name, _ in events] == [
            ("event", "messageStart"),
            ("event", "contentBlockDelta"),
        ]
        assert json.loads(events[1][2])["delta"]["text"] == "hé"


def test_event_stream_exception_and_corrupt_frame() -> None:
    decoder = EventDecoder()
    [(kind, name, payload)] = decoder.feed(exception("throttlingException", "slow down"))
    assert (kind, name, json.loads(payload)) == (
        "exception",
        "throttlingException",
        {"message": "slow down"},
    )
    frame = bytearray(encode_frame({":event-type": "metadata"}, b"{}"))
    frame[-1] ^= 0xFF
    with pytest.raises(UpstreamError):
        EventDecoder().feed(bytes(frame))


def test_model_ids_and_endpoints() -> None:
    assert bedrock_model_id("converse/us.amazon.nova-pro-v1:0") == "us.amazon.nova-pro-v1:0"
    params = DeploymentParams(
        model="bedrock/meta.llama3-1-70b-instruct-v1:0", aws_region_name="eu-west-1"
    )
    provider = BedrockProvider(params, None)
    arn = "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.meta.llama3"
    assert provider.url(arn, stream=True) == (
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/"
        "arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Ainference-profile%2Feu.meta.llama3"
        "/converse-stream"
    )


def test_aws_secrets_are_not_provider_defaults() -> None:
    params = DeploymentParams(
        model="bedrock/amazon.nova-lite-v1:0",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="very-secret",
        aws_session_token="tok",
        aws_region_name="us-east-1",
        temperature=0.1,
    )
    assert params.defaults == {"temperature": 0.1}
    assert "very-secret" not in repr(params)


def test_stream_exceptions_raise_the_mapped_error() -> None:
    from app.providers.bedrock_response import stream_exception

    assert isinstance(
        stream_exception("serviceUnavailableException", b""), UpstreamUnavailableError
    )
    throttled = stream_exception("throttlingException", b'{"message": "slow"}')
    assert getattr(throttled, "status_code", None) == 429


def test_database_deployments_refuse_aws_secrets() -> None:
    from app.deployments.service import validate_entry

    params = {"model": "bedrock/amazon.nova-lite-v1:0", "aws_secret_access_key": "s3cr3t"}
    with pytest.raises(BadRequestError) as caught:
        validate_entry("nova", params, {})
    assert caught.value.param == "params.aws_secret_access_key"
    assert "s3cr3t" not in str(caught.value)


async def test_a_deployment_without_region_or_credentials_is_the_operators_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    bare = BedrockProvider(DeploymentParams(model="bedrock/amazon.nova-lite-v1:0"), None)
    with pytest.raises(UpstreamError) as caught:
        bare.url("m", stream=False)
    assert (caught.value.status_code, caught.value.code) == (502, "upstream_configuration")
    assert "aws_region_name" in str(caught.value)
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    regional = BedrockProvider(DeploymentParams(model="bedrock/amazon.nova-lite-v1:0"), None)
    assert regional.url("m", stream=False).startswith("https://bedrock-runtime.us-west-2.")
    with pytest.raises(UpstreamError) as caught:
        regional.signed_headers(regional.url("m", stream=False), b"{}", stream=False)
    assert "AWS_ACCESS_KEY_ID" in str(caught.value)


def test_signing_logs_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    params = DeploymentParams(
        model="bedrock/amazon.nova-lite-v1:0",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="very-secret-key",
        aws_session_token="session-token-secret",
        aws_region_name="us-east-1",
    )
    provider = BedrockProvider(params, None)
    with caplog.at_level(logging.DEBUG):
        headers = provider.signed_headers(provider.url("m", stream=False), b"{}", stream=False)
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "session-token-secret" not in caplog.text
    assert "very-secret-key" not in caplog.text
