"""Audit entries keep the reason an administrator gave for a change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 17:00:00.000000

Bulk blocking and revoking of keys asks for a reason; it is stored with each audit entry
the change writes, so the log says why as well as what.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable ``audit_logs.reason``."""
    with op.batch_alter_table("audit_logs") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("audit_logs") as batch_op:
        batch_op.drop_column("reason")
