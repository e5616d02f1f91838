"""Structured logs: ``deltallm serve`` with ``json_logs`` writes one JSON object a line,
with the request id inside requests, and never a secret or a prompt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.process import serve_process

MASTER_KEY = "sk-master-json-logs-3141592653"
UPSTREAM_KEY = "sk-upstream-json-logs-2718281828"
WRONG_KEY = "sk-wrong-json-logs-1618033988"
MARKER = "tangerine-obelisk-5519"


def _config(fake: FakeOpenAI) -> str:
    return f"""
model_list:
  - model_name: chat
    litellm_params:
      model: openai/gpt-fake
      api_base: {fake.base_url}
      api_key: {UPSTREAM_KEY}
router_settings:
  num_retries: 1
litellm_settings:
  json_logs: true
"""


def _lines(log: Path) -> list[dict[str, Any]]:
    text = log.read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("switch", ["config", "env"])
async def test_json_logs_carry_request_ids_and_no_secrets(
    tmp_path: Path, fake_openai: FakeOpenAI, switch: str
) -> None:
    config = _config(fake_openai)
    env = {"DELTALLM_MASTER_KEY": MASTER_KEY, "DELTALLM_LOG_LEVEL": "debug"}
    if switch == "env":
        config = config.replace("litellm_settings:\n  json_logs: true\n", "")
        env["DELTALLM_JSON_LOGS"] = "1"
    fake_openai.fail_next(503, "overloaded")
    prompt = [{"role": "user", "content": f"Remember {MARKER} for me"}]
    with serve_process(tmp_path, config, env=env) as served:
        async with httpx.AsyncClient() as http:
            created = await http.post(
                f"{served.root}/graphql",
                json={"query": "mutation { createKey(input: {}) { secret } }"},
                headers={"Authorization": f"Bearer {MASTER_KEY}"},
            )
        key = created.json()["data"]["createKey"]["secret"]
        assert len(created.headers.get_list("x-request-id")) == 1
        client = openai.AsyncOpenAI(base_url=f"{served.root}/v1", api_key=key, max_retries=0)
        async with client:
            retried = await client.chat.completions.with_raw_response.create(
                model="chat", messages=prompt
            )
            stream = await client.chat.completions.create(
                model="chat", messages=prompt, stream=True
            )
            assert [chunk async for chunk in stream]
        async with openai.AsyncOpenAI(
            base_url=f"{served.root}/v1", api_key=WRONG_KEY, max_retries=0
        ) as stranger:
            with pytest.raises(openai.AuthenticationError):
                await stranger.chat.completions.create(model="chat", messages=prompt)
    text = served.log_path.read_text()
    for secret in (key, MASTER_KEY, UPSTREAM_KEY, WRONG_KEY, MARKER):
        assert secret not in text
    lines = _lines(served.log_path)
    assert {"timestamp", "level", "logger", "message"} <= set(lines[0])
    assert all(line["timestamp"].endswith("Z") for line in lines)
    loggers = {line["logger"] for line in lines}
    assert {"deltallm.cli", "uvicorn.error", "deltallm.router"} <= loggers
    request_id = retried.headers["x-request-id"]
    assert len(retried.headers.get_list("x-request-id")) == 1
    (retry,) = [line for line in lines if line["logger"] == "deltallm.router"]
    assert retry["level"] == "warning"
    assert retry["request_id"] == request_id
    assert "retrying" in retry["message"]
    assert not any("request_id" in line for line in lines if line["logger"] == "uvicorn.error")
