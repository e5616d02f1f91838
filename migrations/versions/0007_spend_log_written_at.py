"""Request logs record when they were written, for a live tail that misses none.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:30:00.000000

Logs are written in batches, after their requests end, and not in the order requests
started; a poller that follows ``started_at`` misses a long request written late. The
writer now stamps ``written_at``, and the tail follows (``written_at``, ``id``) through
its index. Existing rows take their ``ended_at``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import types as db_types

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``spend_logs.written_at`` (filled from ``ended_at``) and its index with ``id``."""
    with op.batch_alter_table("spend_logs") as batch_op:
        batch_op.add_column(sa.Column("written_at", db_types.UTCDateTime(), nullable=True))
    op.execute("UPDATE spend_logs SET written_at = ended_at")
    op.create_index(
        op.f("ix_spend_logs_written_at_id"), "spend_logs", ["written_at", "id"], unique=False
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_index(op.f("ix_spend_logs_written_at_id"), table_name="spend_logs")
    with op.batch_alter_table("spend_logs") as batch_op:
        batch_op.drop_column("written_at")
