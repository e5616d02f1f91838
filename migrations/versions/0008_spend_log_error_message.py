"""Request logs say why a failed call failed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 20:40:00.000000

``spend_logs.error_message``: the failed call's message, redacted and at most 300
characters (see ``app.gateway.failures``); NULL for calls that succeeded and for rows
written before this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``spend_logs.error_message``."""
    with op.batch_alter_table("spend_logs") as batch_op:
        batch_op.add_column(sa.Column("error_message", sa.String(length=300), nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("spend_logs") as batch_op:
        batch_op.drop_column("error_message")
