"""timestamptz: every UTC timestamp becomes `timestamp with time zone` on PostgreSQL

Until now the columns were `timestamp without time zone` holding naive UTC. The values are
read as UTC (`AT TIME ZONE 'UTC'`), so no instant moves. SQLite has no such type: no-op there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column) of every UTCDateTime column at revision 0006.
COLUMNS = (
    ("units", "created_at"),
    ("units", "updated_at"),
    ("contacts", "created_at"),
    ("contacts", "updated_at"),
    ("invites", "expires_at"),
    ("invites", "created_at"),
    ("audit_events", "created_at"),
    ("reports", "reported_at"),
    ("directives", "created_at"),
    ("directives", "finished_at"),
    ("deliveries", "next_attempt_at"),
    ("deliveries", "sent_at"),
    ("acknowledgements", "acknowledged_at"),
    ("unit_progress", "reported_at"),
    ("schedules", "created_at"),
    ("schedules", "updated_at"),
    ("schedule_runs", "fire_time"),
    ("schedule_runs", "ran_at"),
)


def _convert(*, with_zone: bool) -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    # Both ways `AT TIME ZONE 'UTC'`: naive UTC -> the instant, and the instant -> naive UTC.
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.DateTime(timezone=with_zone),
            existing_type=sa.DateTime(timezone=not with_zone),
            postgresql_using=f"{column} AT TIME ZONE 'UTC'",
        )


def upgrade() -> None:
    _convert(with_zone=True)


def downgrade() -> None:
    _convert(with_zone=False)
