"""Budget alerts: recorded once per threshold and period, posted to a real webhook on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config_sections import BudgetAlertSettings
from app.db.engine import create_engine, session_factory
from app.keys.models import VirtualKey
from app.observability.logs import quiet_url_loggers
from app.spend.alerts import BudgetAlerts
from app.spend.models import AlertState, BudgetEntity
from app.spend.records import BudgetState, SpendRecord
from app.spend.writer import SpendWriter
from tests.support.db import fresh_database

P1 = datetime(2026, 3, 1, tzinfo=UTC)
P2 = datetime(2026, 4, 1, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Receiver:
    """A Slack-style webhook that answers 503 to its first ``failures`` POSTs."""

    failures: int = 0
    attempts: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            return web.Response(status=503, text="try later")
        self.accepted.append(await request.json())
        return web.Response(text="ok")

    def thresholds(self) -> list[tuple[str, str]]:
        return [
            (body["deltallm"]["entity_id"], body["deltallm"]["threshold"]) for body in self.accepted
        ]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook/T000/secret-token", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    hook.url = f"http://{host}:{port}/hook/T000/secret-token"
    try:
        yield hook
    finally:
        await runner.cleanup()


@pytest.fixture
async def sessions() -> AsyncIterator[Sessions]:
    async with fresh_database() as url:
        engine = create_engine(url)
        try:
            yield session_factory(engine)
        finally:
            await engine.dispose()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def alerts_for(
    sessions: Sessions, http: httpx.AsyncClient, urls: list[str], retries: int = 3
) -> BudgetAlerts:
    settings = BudgetAlertSettings(webhook_urls=urls, thresholds=[100, 50, 80], max_retries=retries)
    return BudgetAlerts(settings, sessions, http, backoff=0.01)


def state(spend: str, *, period: datetime = P1, soft: str | None = None) -> BudgetState:
    return BudgetState(
        BudgetEntity.TEAM,
        "team-1",
        Decimal(spend),
        Decimal(10),
        None if soft is None else Decimal(soft),
        period,
    )


async def alert_rows(sessions: Sessions) -> list[tuple[str, str, datetime]]:
    async with sessions() as session:
        rows = (await session.exec(select(AlertState))).all()
    return sorted((r.entity_id, r.threshold, r.period_start) for r in rows)


async def test_each_threshold_alerts_once_per_period(
    sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    alerts = alerts_for(sessions, http, [receiver.url])
    await alerts.check([state("5")])
    await alerts.drain()
    assert receiver.thresholds() == [("team-1", "50")]
    await alerts.check([state("6")])
    await alerts.check([state("7.9999999999")])
    await alerts.drain()
    assert receiver.thresholds() == [("team-1", "50")]
    await alerts.check([state("12")])
    await alerts.drain()
    assert sorted(receiver.thresholds()) == [("team-1", "100"), ("team-1", "50"), ("team-1", "80")]
    await alerts.check([state("6", period=P2)])
    await alerts.drain()
    assert receiver.thresholds()[-1] == ("team-1", "50")
    assert len(receiver.accepted) == 4
    assert [(t, p) for _, t, p in await alert_rows(sessions)] == [
        ("100", P1),
        ("50", P1),
        ("50", P2),
        ("80", P1),
    ]
    body = receiver.accepted[0]
    assert body["deltallm"] == {
        "entity_type": "team",
        "entity_id": "team-1",
        "threshold": "50",
        "spend": "5",
        "max_budget": "10",
        "soft_budget": None,
        "period_start": "2026-03-01T00:00:00+00:00",
    }
    assert "team team-1 reached 50% of its $10.00 budget" in body["text"]


async def test_soft_budget_alert(
    sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    alerts = alerts_for(sessions, http, [receiver.url])
    await alerts.check([state("2.5", soft="3")])
    await alerts.check([state("3", soft="3")])
    await alerts.check([state("3.5", soft="3")])
    await alerts.drain()
    assert receiver.thresholds() == [("team-1", "soft")]
    assert "passed its soft budget of $3.00" in receiver.accepted[0]["text"]


async def test_webhook_is_retried_until_it_accepts(
    sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.failures = 2
    alerts = alerts_for(sessions, http, [receiver.url], retries=3)
    await alerts.check([state("5")])
    await alerts.drain()
    assert (receiver.attempts, receiver.thresholds()) == (3, [("team-1", "50")])


async def test_delivery_gives_up_quietly(
    sessions: Sessions,
    http: httpx.AsyncClient,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # a served gateway's level, with its logging setup
    quiet_url_loggers()
    receiver.failures = 5
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = f"http://127.0.0.1:{probe.getsockname()[1]}/hook/secret-token"
    alerts = alerts_for(sessions, http, [receiver.url, closed_port], retries=1)
    await alerts.check([state("5")])
    await alerts.drain()
    assert (receiver.attempts, receiver.accepted) == (2, [])
    assert len(await alert_rows(sessions)) == 1  # recorded once; not retried by later batches
    gateway_side = [r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp")]
    assert not any("secret-token" in line for line in gateway_side)  # nor httpx's URL lines
    assert caplog.text.count("dropped after 2 attempts") == 2


async def test_no_webhooks_means_nothing_recorded(
    sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    alerts = alerts_for(sessions, http, [])
    await alerts.check([state("12", soft="1")])
    await alerts.drain()
    assert await alert_rows(sessions) == []
    assert receiver.attempts == 0


async def test_writer_alerts_on_budgets_it_charges(
    sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    key = VirtualKey(
        key_hash="f" * 64, key_prefix="sk-abc", key_suffix="wxyz", max_budget=Decimal(1)
    )
    async with sessions() as session:
        session.add(key)
        await session.commit()
    alerts = alerts_for(sessions, http, [receiver.url])
    writer = SpendWriter(sessions, alerts, clock=lambda: P2)
    at = datetime(2026, 4, 1, 8, tzinfo=UTC)

    def call(request_id: str, cost: str) -> SpendRecord:
        return SpendRecord(
            request_id=request_id,
            model_group="gpt-4o",
            cost=Decimal(cost),
            started_at=at,
            ended_at=at,
            key_id=key.id,
        )

    await writer.write([call("a", "0.3"), call("b", "0.3")])
    await writer.write([call("a", "0.3"), call("b", "0.3")])  # re-delivered: no new alert
    await writer.write([call("c", "0.25")])
    await asyncio.wait_for(alerts.drain(), 10)
    assert receiver.thresholds() == [(key.id, "50"), (key.id, "80")]
    assert all(key.key_hash not in str(body) for body in receiver.accepted)
