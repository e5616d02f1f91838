"""Guardrail and cache policy on keys and teams; the guardrails that ran, in the request log.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 05:30:00.000000

Existing rows get empty lists and ``allow_request_guardrails = false``: nothing changes for
keys and teams until an admin assigns guardrails.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import types as db_types

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPTY = sa.text("'[]'")


def _names(name: str) -> sa.Column[object]:
    return sa.Column(name, db_types.JSONType(), nullable=False, server_default=_EMPTY)


def upgrade() -> None:
    """Add the policy columns and ``spend_logs.guardrails``."""
    with op.batch_alter_table("virtual_keys") as batch_op:
        batch_op.add_column(_names("guardrails"))
        batch_op.add_column(
            sa.Column(
                "allow_request_guardrails", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(_names("allowed_cache_controls"))
    with op.batch_alter_table("teams") as batch_op:
        batch_op.add_column(_names("guardrails"))
    with op.batch_alter_table("spend_logs") as batch_op:
        batch_op.add_column(_names("guardrails"))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("spend_logs") as batch_op:
        batch_op.drop_column("guardrails")
    with op.batch_alter_table("teams") as batch_op:
        batch_op.drop_column("guardrails")
    with op.batch_alter_table("virtual_keys") as batch_op:
        batch_op.drop_column("allowed_cache_controls")
        batch_op.drop_column("allow_request_guardrails")
        batch_op.drop_column("guardrails")
