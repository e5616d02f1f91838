"""``deltallm users create-admin``: the first console administrator, without the console."""

from __future__ import annotations

import asyncio
import sys

import click

from app.auth.passwords import check_policy, generate_password
from app.auth.service import IdentityService
from app.cli.context import cli_context, fail
from app.errors import DeltaLLMError
from app.users.models import PlatformRole, User

__all__ = ["users"]


@click.group()
def users() -> None:
    """Manage console users."""


def _password(given: str | None, email: str) -> tuple[str, bool]:
    """``(password, generated)``: the option, a prompt on a terminal, else a random one."""
    if given is None and sys.stdin.isatty():
        given = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if given is None:
        return generate_password(), True
    try:
        check_policy(given, email)
    except DeltaLLMError as exc:
        fail(exc.message)
    return given, False


async def _create_admin(config: str | None, email: str, password: str, generated: bool) -> User:
    async with cli_context(config) as ctx:
        identity = IdentityService(ctx.sessions, ctx.settings.salt_key.get_secret_value())
        return await identity.create_user(
            email,
            password,
            PlatformRole.PLATFORM_ADMIN,
            must_change_password=generated,
            source="cli",
        )


@users.command("create-admin")
@click.option("--config", "config", type=click.Path(dir_okay=False), help="config.yaml to load.")
@click.option("--email", required=True, help="The administrator's e-mail address.")
@click.option("--password", default=None, help="Prompted for (or generated) when not given.")
def create_admin(config: str | None, email: str, password: str | None) -> None:
    """Create a platform_admin who signs in with e-mail and password."""
    chosen, generated = _password(password, email)
    try:
        user = asyncio.run(_create_admin(config, email, chosen, generated))
    except DeltaLLMError as exc:
        fail(exc.message)
        return
    click.echo(f"Created platform_admin {user.email} (id {user.id}).", err=True)
    if generated:
        click.echo(
            "Generated password (shown once; it must be changed at first sign-in):", err=True
        )
        click.echo(chosen)
