"""Budget alerts: each threshold, once per entity and budget period, to Slack-style webhooks.

Whoever inserts the :class:`~app.spend.models.AlertState` row first sends the alert, so
several writers (or re-delivered batches) never send it twice. Webhook deliveries run in
background tasks with retries; failures are logged, never raised into the writer. Webhook
URLs often carry a token, so logs name only their host.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config_sections import BudgetAlertSettings
from app.db.statements import dialect_insert, table_of
from app.db.types import new_id, utcnow
from app.spend.models import AlertState
from app.spend.records import BudgetState

__all__ = ["SOFT", "BudgetAlerts", "alert_payload"]

log = logging.getLogger("deltallm.spend.alerts")

SOFT = "soft"
"""The ``threshold`` of a soft-budget alert."""

_RETRY_STATUS = frozenset({408, 425, 429})
_UNIQUE = ["entity_type", "entity_id", "threshold", "period_start"]


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def alert_payload(state: BudgetState, threshold: str) -> dict[str, Any]:
    """The Slack-compatible JSON body of one alert (ids and amounts only, no secrets)."""
    who = f"{state.entity_type.value} {state.entity_id}"
    if threshold == SOFT:
        text = f"passed its soft budget of ${state.soft_budget:.2f}"
    else:
        text = f"reached {threshold}% of its ${state.max_budget:.2f} budget"
    return {
        "text": f"DeltaLLM budget alert: {who} {text} (spent ${state.spend:.4f} this period).",
        "deltallm": {
            "entity_type": state.entity_type.value,
            "entity_id": state.entity_id,
            "threshold": threshold,
            "spend": _amount(state.spend),
            "max_budget": _amount(state.max_budget),
            "soft_budget": _amount(state.soft_budget),
            "period_start": state.period_start.isoformat(),
        },
    }


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


class BudgetAlerts:
    """Decides which thresholds a batch crossed, records them once, and posts them."""

    def __init__(
        self,
        settings: BudgetAlertSettings,
        session_factory: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        *,
        backoff: float = 0.5,
    ) -> None:
        self._settings = settings
        self._sessions = session_factory
        self._http = http
        self._backoff = backoff
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def configured(
        cls,
        settings: BudgetAlertSettings,
        session_factory: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
    ) -> BudgetAlerts | None:
        """The alerts, when ``settings`` names a webhook to post them to."""
        return cls(settings, session_factory, http) if settings.webhook_urls else None

    def crossed(self, state: BudgetState) -> list[str]:
        """The thresholds ``state`` is at or past: percentages of max_budget, then ``soft``."""
        found = []
        if state.max_budget is not None and state.max_budget > 0:
            found += [
                str(percent)
                for percent in self._settings.thresholds
                if state.spend * 100 >= state.max_budget * percent
            ]
        soft = state.soft_budget
        if soft is not None and soft > 0 and state.spend >= soft:
            found.append(SOFT)
        return found

    async def check(self, states: Sequence[BudgetState]) -> None:
        """Record every newly crossed threshold and post it to each webhook (in background)."""
        urls = self._settings.webhook_urls
        if not urls:
            return
        crossed = [(state, t) for state in states for t in self.crossed(state)]
        if not crossed:
            return
        try:
            new = await self._record(crossed)
        except (SQLAlchemyError, OSError):
            log.exception("could not record %d budget alerts", len(crossed))
            return
        for state, threshold in new:
            payload = alert_payload(state, threshold)
            for url in urls:
                self._spawn(self._post(url, payload))

    async def drain(self) -> None:
        """Wait for the deliveries still running (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _record(
        self, crossed: Sequence[tuple[BudgetState, str]]
    ) -> list[tuple[BudgetState, str]]:
        """Insert the alert rows; the ones that were not there yet."""
        now = utcnow()
        rows = [
            {
                "id": new_id(),
                "entity_type": state.entity_type,
                "entity_id": state.entity_id,
                "threshold": threshold,
                "period_start": state.period_start,
                "created_at": now,
            }
            for state, threshold in crossed
        ]
        c = table_of(AlertState).c
        async with self._sessions() as session, session.begin():
            statement = (
                dialect_insert(session, AlertState)
                .values(rows)
                .on_conflict_do_nothing(index_elements=_UNIQUE)
                .returning(c.entity_type, c.entity_id, c.threshold)
            )
            inserted = {(r[0], r[1], r[2]) for r in (await session.exec(statement)).all()}
        return [(s, t) for s, t in crossed if (s.entity_type, s.entity_id, t) in inserted]

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, payload: dict[str, Any]) -> None:
        """POST with retries and exponential backoff on connection errors, 5xx and 429."""
        attempts = self._settings.max_retries + 1
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = await self._http.post(url, json=payload, timeout=self._settings.timeout)
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            else:
                status = response.status_code
                if status < 300:
                    return
                if status < 500 and status not in _RETRY_STATUS:
                    log.error("budget alert webhook at %s refused it: HTTP %d", _host(url), status)
                    return
                reason = f"HTTP {status}"
            log.warning(
                "budget alert webhook at %s failed (%s), attempt %d of %d",
                _host(url),
                reason,
                attempt + 1,
                attempts,
            )
        log.error("budget alert to %s dropped after %d attempts", _host(url), attempts)
