"""Indexes along the order admin lists are paged in: (created_at, id).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 14:00:00.000000

Organizations, users, virtual keys, end users and model deployments are listed in pages
ordered by (``created_at``, ``id``); with these indexes a page is read in order instead
of sorting the whole table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("organizations", "users", "virtual_keys", "end_users", "model_deployments")


def upgrade() -> None:
    """Create ``ix_<table>_created_at_id`` on each paged table."""
    for table in TABLES:
        op.create_index(
            op.f(f"ix_{table}_created_at_id"), table, ["created_at", "id"], unique=False
        )


def downgrade() -> None:
    """Drop them again."""
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_created_at_id"), table_name=table)
