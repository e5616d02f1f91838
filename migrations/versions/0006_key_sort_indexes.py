"""Indexes for listing keys by spend and by expiry: (spend, id) and (expires_at, id).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:20:00.000000

The key list pages along (column, id) in either direction; with these a page sorted by
spend or expiry is read in order from an index instead of sorting every key.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("spend", "expires_at")


def upgrade() -> None:
    """Create ``ix_virtual_keys_<column>_id``."""
    for column in COLUMNS:
        op.create_index(
            op.f(f"ix_virtual_keys_{column}_id"), "virtual_keys", [column, "id"], unique=False
        )


def downgrade() -> None:
    """Drop them again."""
    for column in COLUMNS:
        op.drop_index(op.f(f"ix_virtual_keys_{column}_id"), table_name="virtual_keys")
