"""``deltallm``: serve the gateway, check a config file, run migrations."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
import uvicorn

from app.cli.context import fail, load_cli_settings
from app.cli.http_protocol import bounded_protocol
from app.cli.keys import keys, spend
from app.cli.users import users
from app.drain import HARD_STOP_GRACE
from app.errors import ConfigError
from app.observability.logs import json_line, uvicorn_log_config
from app.settings import Settings, export_for_workers, load_config

__all__ = ["cli"]


@click.group()
@click.version_option(package_name="deltallm")
def cli() -> None:
    """DeltaLLM: an OpenAI-compatible LLM gateway."""


@cli.command()
@click.option("--config", "config", type=click.Path(dir_okay=False), help="config.yaml to load.")
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to bind (default 4000).")
@click.option("--workers", default=1, type=click.IntRange(min=1), help="Worker processes.")
def serve(config: str | None, host: str | None, port: int | None, workers: int) -> None:
    """Serve the gateway."""
    settings = load_cli_settings(config, host=host, port=port, workers=workers)
    if workers > 1 and not settings.has_redis:
        fail(
            f"--workers {workers} needs REDIS_URL: without Redis every worker would keep its "
            "own rate-limit and budget counters and multiply the limits by the worker count. "
            "Set REDIS_URL or run one worker."
        )

    def say(message: str, level: str = "info") -> None:
        if settings.json_logs:
            click.echo(json_line(level, "deltallm.cli", message), err=True)
        else:
            click.echo(f"warning: {message}" if level == "warning" else message, err=True)

    for warning in settings.warnings:
        say(warning, "warning")
    say(f"DeltaLLM serving on http://{settings.host}:{settings.port}")
    say(f"Models: {', '.join(m.model_name for m in settings.config.model_list) or 'none'}")
    if (settings.data_dir / "master_key").exists():
        say(f"Master key: stored in {settings.data_dir / 'master_key'}")
    general = settings.config.general_settings
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "loop": "uvloop",
        "http": bounded_protocol(general.request_head_timeout),
        "limit_concurrency": general.max_connections,
        # The client address is the socket peer; general_settings.signin.trusted_proxies
        # says whose X-Forwarded-For to believe.
        "proxy_headers": False,
        # Streams still open at the drain deadline end themselves; what runs past the
        # grace after it is cancelled by uvicorn.
        "timeout_graceful_shutdown": general.graceful_shutdown_timeout + HARD_STOP_GRACE,
    }
    if settings.json_logs:
        common["log_config"] = uvicorn_log_config(settings.log_level)
    signal.signal(signal.SIGTERM, _drained)
    if settings.run_migrations_on_start:
        _migrate_in_child(settings.database_url.get_secret_value())
        settings = dataclasses.replace(settings, run_migrations_on_start=False)
    if not settings.has_redis:  # one worker: more need Redis
        _run_workers(settings, workers, common)
        return
    # With Redis the instance's spend writer runs in a process of its own, beside the
    # workers (app.spend.writer_process). The processes write their metrics to files here
    # so that one scrape sees them all; a fresh directory each start, or counts of an
    # earlier run would be added in.
    with tempfile.TemporaryDirectory(prefix="deltallm-metrics-") as metrics_dir:
        settings = dataclasses.replace(
            settings, spend_writer_process=True, metrics_dir=Path(metrics_dir)
        )
        export_for_workers(settings, Path(metrics_dir))
        _serve_with_writer(settings, workers, common)


def _serve_with_writer(settings: Settings, workers: int, common: dict[str, Any]) -> None:
    """Run the workers with the instance's spend writer process, which is told to stop
    once they have drained (so it writes what they added last)."""
    from app.spend.writer_process import SpendWriterProcess

    writer = SpendWriterProcess()
    writer.start()
    try:
        _run_workers(settings, workers, common)
    finally:
        writer.stop()


def _run_workers(settings: Settings, workers: int, common: dict[str, Any]) -> None:
    """One worker in this process; several as uvicorn's children, which read the settings
    from the environment. ``app.main`` (and prometheus-client with it) is imported only now,
    after the metrics directory is exported."""
    if workers == 1:
        from app.main import create_app

        uvicorn.run(create_app(settings), **common)
    else:
        uvicorn.run("app.main:create_app_from_env", factory=True, workers=workers, **common)


def _migrate_in_child(database_url: str) -> None:
    """Run the migrations in a forked child, so that the serving processes never import
    Alembic and its migration scripts (about 11 MB of resident memory each would keep)."""
    child = multiprocessing.get_context("fork").Process(
        target=_migrate, args=(database_url,), name="deltallm-migrate"
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        fail(f"the database migrations failed (exit code {child.exitcode}); see above")


def _migrate(database_url: str, revision: str = "head") -> None:
    from app.db.migrate import upgrade  # only where migrations run

    asyncio.run(upgrade(database_url, revision))


def _drained(sig: int, frame: object) -> None:
    """uvicorn raises the SIGTERM it caught again once it has shut down: having drained,
    the process exits with status 0 rather than die of the signal."""
    sys.exit(0)


@cli.command("check-config")
@click.argument("path", type=click.Path(dir_okay=False))
def check_config(path: str) -> None:
    """Validate a config file; list every problem and exit non-zero if there is one."""
    try:
        config, warnings = load_config(Path(path))
    except ConfigError as exc:
        click.echo(f"{path}: {len(exc.problems)} problem(s):", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    groups = {m.model_name for m in config.model_list}
    click.echo(f"{path}: OK ({len(config.model_list)} deployments in {len(groups)} model groups)")


@cli.command()
@click.option("--config", "config", type=click.Path(dir_okay=False), help="config.yaml to load.")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def migrate(config: str | None, revision: str) -> None:
    """Apply database migrations up to REVISION."""
    settings = load_cli_settings(config)
    click.echo(f"Migrating the database to {revision} ...", err=True)
    _migrate(settings.database_url.get_secret_value(), revision)
    click.echo("Database is up to date.", err=True)


cli.add_command(keys)
cli.add_command(spend)
cli.add_command(users)

if __name__ == "__main__":
    cli()
