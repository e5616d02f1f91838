"""The Grafana dashboard shipped in ``app/deploy`` queries only metrics a gateway exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import openai
import pytest

import app
from tests.support.fake_openai import Failure, FakeOpenAI
from tests.support.gateway import running_gateway
from tests.support.scrape import scrape

DASHBOARD = Path(app.__file__).parent / "deploy" / "grafana-dashboard.json"
_METRIC = re.compile(r"\bdeltallm_[a-z0-9_]+\b")
HI = [{"role": "user", "content": "Hi"}]


def queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of the panels and the template variables."""
    found = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if target.get("expr")
    ]
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        if isinstance(query, dict):
            found.append(query["query"])
        elif variable["type"] == "query":
            found.append(query)
    return found


def test_every_panel_has_a_query() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 12
    for panel in panels:
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"


async def test_every_metric_the_dashboard_queries_is_exported(fake_openai: FakeOpenAI) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    used = {name for expr in queries(dashboard) for name in _METRIC.findall(expr)}
    assert len(used) >= 15
    model = {
        "model_name": "chat",
        "deltallm_params": {"model": "openai/chat", "api_base": fake_openai.base_url},
    }
    config = {
        "model_list": [model],
        "router_settings": {"num_retries": 0},
        "general_settings": {"proxy_batch_write_at": 0.05},
    }
    async with running_gateway(config) as gw:
        async with gw.client() as client:
            await client.chat.completions.create(model="chat", messages=HI)
            stream = await client.chat.completions.create(model="chat", messages=HI, stream=True)
            assert [chunk async for chunk in stream]
            fake_openai.failures.append(Failure(500))
            with pytest.raises(openai.APIStatusError):
                await client.chat.completions.create(model="chat", messages=HI)
        await gw.runtime.gateway.settler.drain()
        await gw.runtime.spend_queue.flush()
        metrics = await scrape(gw.root, gw.master_key)
    missing = sorted(used - metrics.series_names)
    assert not missing, f"the dashboard queries metrics the gateway does not export: {missing}"
    # The traffic above gives the request, latency and token panels data to show.
    for name in used & {"deltallm_requests_total", "deltallm_tokens_total"}:
        assert metrics.total(name) > 0
    assert metrics.total("deltallm_time_to_first_token_seconds_count") == 1
    assert metrics.total("deltallm_spend_write_lag_seconds_count") >= 1
