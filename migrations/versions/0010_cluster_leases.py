"""Leases of background jobs that run once per cluster.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 00:40:00.000000

Without Redis, instances sharing a database take a job's lease by updating its row here
(or inserting it the first time). The drift test checks it against the models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import types as db_types

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``cluster_leases``."""
    op.create_table(
        "cluster_leases",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("expires_at", db_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cluster_leases")),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("cluster_leases")
