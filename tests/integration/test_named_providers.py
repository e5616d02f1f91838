"""Named OpenAI-compatible providers (``groq/``, ``ollama/``, ...) through the gateway with
the openai SDK, against a real OpenAI-shaped server on loopback; and a LiteLLM config
naming them, checked by ``deltallm check-config`` as a user runs it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openai
from sqlmodel import select

from app.spend.models import SpendLog
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.graphql import gql
from tests.support.process import DELTALLM

HI = [{"role": "user", "content": "Hi"}]
CREATE = """mutation($input: CreateModelDeploymentInput!) { createModelDeployment(input: $input)
  { deployment { id } errors { field message code } } }"""


def sdk(gw: RunningGateway) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{gw.root}/v1", api_key=gw.master_key, max_retries=0)


def deployment(name: str, model: str, **params: Any) -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": model, **params}}


async def test_groq_gets_its_key_from_the_environment(fake_openai: FakeOpenAI) -> None:
    config = {
        "model_list": [
            deployment(
                "llama",
                "groq/llama-3.1-8b-instant",
                api_base=fake_openai.base_url,
                input_cost_per_token="0.001",
            )
        ],
        "general_settings": {"proxy_batch_write_at": 0.1},
    }
    async with running_gateway(config, env={"GROQ_API_KEY": "gsk-test-123"}) as gw:
        async with sdk(gw) as client:
            answer = await client.chat.completions.create(model="llama", messages=HI)
            stream = await client.chat.completions.create(model="llama", messages=HI, stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert answer.choices[0].message.content == fake_openai.reply == text
        for sent in fake_openai.requests:
            assert sent.path == "/v1/chat/completions"
            assert sent.body["model"] == "llama-3.1-8b-instant"
            assert sent.headers["Authorization"] == "Bearer gsk-test-123"
        await gw.runtime.gateway.settler.drain()
        await gw.runtime.spend_queue.flush()
        async with gw.runtime.sessions() as session:
            rows = (await session.exec(select(SpendLog))).all()
        assert [row.provider for row in rows] == ["groq", "groq"]


async def test_ollama_base_gets_the_openai_compatible_path(fake_openai: FakeOpenAI) -> None:
    config = {"model_list": [deployment("local", "ollama/llama3.2", api_base=fake_openai.root)]}
    async with running_gateway(config) as gw, sdk(gw) as client:
        answer = await client.chat.completions.create(model="local", messages=HI)
    assert answer.choices[0].message.content == fake_openai.reply
    sent = fake_openai.requests[-1]
    assert (sent.path, sent.body["model"]) == ("/v1/chat/completions", "llama3.2")
    assert "Authorization" not in sent.headers


async def test_admin_deployment_without_api_base_is_checked_at_its_default(
    fake_openai: FakeOpenAI,
) -> None:
    config = {
        "model_list": [deployment("a", "openai/x", api_base=fake_openai.base_url)],
        "general_settings": {"allow_private_upstreams": False},
    }
    async with running_gateway(config) as gw:
        params = {"model": "ollama/llama3.2"}
        body = await gql(gw, CREATE, {"input": {"modelName": "local", "params": params}})
        [error] = body["data"]["createModelDeployment"]["errors"]
        assert error["field"] == "params.api_base"
        assert "allow_private_upstreams" in error["message"]


LITELLM_CONFIG = """
model_list:
  - model_name: llama
    litellm_params: {model: groq/llama-3.1-8b-instant}
  - model_name: mistral-small
    litellm_params: {model: mistral/mistral-small-latest, api_key: os.environ/MISTRAL_API_KEY}
  - model_name: claude-or
    litellm_params: {model: openrouter/anthropic/claude-3.5-sonnet}
  - model_name: local
    litellm_params: {model: ollama/llama3.2, api_base: "http://localhost:11434"}
  - model_name: flash
    litellm_params: {model: gemini/gemini-2.0-flash}
"""


def check_config(path: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    keys = ("GROQ_API_KEY", "MISTRAL_API_KEY", "OPENROUTER_API_KEY", "GEMINI_API_KEY")
    base = {k: v for k, v in os.environ.items() if k not in keys and k != "GOOGLE_API_KEY"}
    return subprocess.run(
        [*DELTALLM, "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **env},
    )


def test_check_config_on_a_litellm_config(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(LITELLM_CONFIG)
    env = {
        "GROQ_API_KEY": "gsk-1",
        "MISTRAL_API_KEY": "m-1",
        "OPENROUTER_API_KEY": "or-1",
        "GEMINI_API_KEY": "g-1",
    }
    result = check_config(path, env)
    assert result.returncode == 0, result.stderr
    assert "OK (5 deployments in 5 model groups)" in result.stdout

    result = check_config(path, {"MISTRAL_API_KEY": "m-1", "GOOGLE_API_KEY": "g-1"})
    assert result.returncode == 1
    assert "2 problem(s)" in result.stderr
    assert "model_list[0].litellm_params.api_key: not set, and GROQ_API_KEY" in result.stderr
    assert "model_list[2].litellm_params.api_key: not set, and OPENROUTER_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr
