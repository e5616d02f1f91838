"""Identity hardening: remember the last accepted TOTP time step per user.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000

A TOTP code is accepted only for a time step later than ``users.totp_last_step``, so a
code cannot be replayed; the column is claimed with a conditional UPDATE.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``users.totp_last_step`` (NULL: no code accepted yet)."""
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Drop ``users.totp_last_step``."""
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("totp_last_step")
