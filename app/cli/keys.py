"""``deltallm keys ...`` and ``deltallm spend``: bootstrap and scripting without the console."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import click
from sqlalchemy import case, func
from sqlmodel import col, select

from app.cli.context import CliContext, cli_context, fail
from app.db.types import utcnow
from app.errors import DeltaLLMError
from app.keys.models import VirtualKey
from app.keys.spec import KeySpec
from app.limits.periods import parse_duration
from app.spend.models import SpendLog, SpendStatus

__all__ = ["keys", "spend"]

T = TypeVar("T")
REFUSED_STATUS = (403, 429)
"""Error statuses of calls refused rather than failed (``deltallm spend``)."""
config_option = click.option("--config", "config", type=click.Path(dir_okay=False))


def _run(config: str | None, work: Callable[[CliContext], Awaitable[T]]) -> T:
    async def main() -> T:
        async with cli_context(config) as ctx:
            return await work(ctx)

    try:
        return asyncio.run(main())
    except DeltaLLMError as exc:
        fail(exc.message)
        raise AssertionError("unreachable") from None


def _duration(text: str | None, option: str) -> timedelta | None:
    if text is None:
        return None
    try:
        period = parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")
    if period.months:
        return timedelta(days=30 * period.months)
    return timedelta(seconds=period.seconds)


def _money(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"{option}: not a number: {text!r}")
    if not value.is_finite() or value < 0:
        fail(f"{option}: must be a non-negative amount")
    return value


def _view(key: VirtualKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "alias": key.alias,
        "key_display": f"{key.key_prefix}…{key.key_suffix}",
        "team_id": key.team_id,
        "user_id": key.user_id,
        "models": key.models,
        "max_budget": str(key.max_budget) if key.max_budget is not None else None,
        "budget_duration": key.budget_duration,
        "rpm_limit": key.rpm_limit,
        "tpm_limit": key.tpm_limit,
        "max_parallel_requests": key.max_parallel_requests,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "blocked": key.blocked,
        "revoked": key.revoked_at is not None,
        "created_at": key.created_at.isoformat(),
    }


@click.group()
def keys() -> None:
    """Create and manage virtual keys."""


@keys.command("create")
@config_option
@click.option("--alias")
@click.option("--models", help="Comma-separated model groups the key may use.")
@click.option("--max-budget", help="USD.")
@click.option("--budget-duration", help="30s, 1h, 1d, 7d, 1mo ...")
@click.option("--rpm", type=click.IntRange(min=0))
@click.option("--tpm", type=click.IntRange(min=0))
@click.option("--max-parallel", type=click.IntRange(min=1))
@click.option("--expires-in", help="Duration until the key expires (30d, 1mo ...).")
@click.option("--team", "team_id")
@click.option("--user", "user_id")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def create_key(
    config: str | None,
    alias: str | None,
    models: str | None,
    max_budget: str | None,
    budget_duration: str | None,
    rpm: int | None,
    tpm: int | None,
    max_parallel: int | None,
    expires_in: str | None,
    team_id: str | None,
    user_id: str | None,
    as_json: bool,
) -> None:
    """Create a key and print its secret (shown this once)."""
    lifetime = _duration(expires_in, "--expires-in")
    if budget_duration is not None:
        _duration(budget_duration, "--budget-duration")
    spec = KeySpec(
        alias=alias,
        team_id=team_id,
        user_id=user_id,
        models=[m.strip() for m in models.split(",") if m.strip()] if models else [],
        max_budget=_money(max_budget, "--max-budget"),
        budget_duration=budget_duration,
        rpm_limit=rpm,
        tpm_limit=tpm,
        max_parallel_requests=max_parallel,
        expires_at=utcnow() + lifetime if lifetime else None,
    )
    created = _run(config, lambda ctx: ctx.keys.create(spec, created_by="cli"))
    if as_json:
        click.echo(json.dumps({**_view(created.key), "key": created.secret}))
    else:
        click.echo(created.secret)
        click.echo(f"key id {created.key.id} — the secret above is shown only once", err=True)


@keys.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
def list_keys(config: str | None, as_json: bool, include_revoked: bool) -> None:
    """List keys (never their secrets)."""
    rows = _run(config, lambda ctx: ctx.keys.list(include_revoked=include_revoked))
    views = [_view(k) for k in rows]
    if as_json:
        click.echo(json.dumps(views))
        return
    for v in views:
        state = "revoked" if v["revoked"] else "blocked" if v["blocked"] else "active"
        click.echo(f"{v['id']}  {v['key_display']}  {v['alias'] or '-'}  {state}")


def _simple(name: str, action: str, call: Callable[[CliContext, str], Awaitable[Any]]) -> None:
    @keys.command(name, help=f"{action.capitalize()} a key.")
    @config_option
    @click.argument("key_id")
    def command(config: str | None, key_id: str) -> None:
        _run(config, lambda ctx: call(ctx, key_id))
        click.echo(f"key {key_id} {action}")


_simple("revoke", "revoked", lambda ctx, key_id: ctx.keys.revoke(key_id))
_simple("block", "blocked", lambda ctx, key_id: ctx.keys.set_blocked(key_id, True))
_simple("unblock", "unblocked", lambda ctx, key_id: ctx.keys.set_blocked(key_id, False))


@keys.command("regenerate")
@config_option
@click.argument("key_id")
@click.option("--grace", help="How long the old secret keeps working (e.g. 1h).")
@click.option("--json", "as_json", is_flag=True)
def regenerate_key(config: str | None, key_id: str, grace: str | None, as_json: bool) -> None:
    """Give a key a new secret; the old one stops working (after --grace)."""
    period = _duration(grace, "--grace")
    created = _run(config, lambda ctx: ctx.keys.regenerate(key_id, grace=period))
    if as_json:
        click.echo(json.dumps({**_view(created.key), "key": created.secret}))
    else:
        click.echo(created.secret)


def _outcomes() -> tuple[Any, ...]:
    """Counts of succeeded, refused and failed requests (see :func:`spend`)."""
    status, code = col(SpendLog.status), col(SpendLog.status_code)
    refused = (status == SpendStatus.ERROR) & code.in_(REFUSED_STATUS)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return (count(status == SpendStatus.OK), count(refused), count(~(status == SpendStatus.OK)))


@click.command()
@config_option
@click.option("--key", "key_id", help="Only this key.")
@click.option("--json", "as_json", is_flag=True)
def spend(config: str | None, key_id: str | None, as_json: bool) -> None:
    """Recorded spend and requests (all keys, or one): succeeded, refused and failed.

    Refused: turned away with a 429 or 403 before anything was served (a budget or rate
    limit of the key, user, team, organization or end user, a blocked end user, every
    deployment at its limit, or the provider's rate limit after retries); they cost
    nothing. Failed: every other error, and calls the client abandoned. ``--json`` keeps
    ``requests`` as the total and adds ``succeeded``, ``refused`` and ``failed``.
    """

    async def totals(ctx: CliContext) -> tuple[Decimal, int, int, int, int]:
        query = select(
            func.coalesce(func.sum(SpendLog.cost), 0), func.count(col(SpendLog.id)), *_outcomes()
        )
        if key_id is not None:
            query = query.where(SpendLog.key_id == key_id)
        async with ctx.sessions() as session:
            total, count, ok, refused, not_ok = (await session.exec(query)).one()
        return Decimal(total), int(count), int(ok), int(refused), int(not_ok) - int(refused)

    total, count, succeeded, refused, failed = _run(config, totals)
    if as_json:
        figures = {"succeeded": succeeded, "refused": refused, "failed": failed}
        click.echo(
            json.dumps({"key_id": key_id, "spend": str(total), "requests": count, **figures})
        )
    else:
        click.echo(
            f"spend ${total} over {count} requests: {succeeded} succeeded, "
            f"{refused} refused, {failed} failed"
        )
