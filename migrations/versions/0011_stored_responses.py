"""Stored Responses API answers (``general_settings.responses_store``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 01:30:00.000000

Rows hold prompt text; they exist only when the store is enabled and are purged after the
retention period. The drift test checks the table against the models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import types as db_types

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``stored_responses``."""
    op.create_table(
        "stored_responses",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("conversation", db_types.JSONType(), nullable=False),
        sa.Column("response", db_types.JSONType(), nullable=False),
        sa.Column("created_at", db_types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", db_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_responses")),
    )
    op.create_index(
        op.f("ix_stored_responses_expires_at"), "stored_responses", ["expires_at"], unique=False
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index(op.f("ix_stored_responses_expires_at"), table_name="stored_responses")
    op.drop_table("stored_responses")
