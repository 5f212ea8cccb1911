"""unit_progress: each unit's current figures, maintained with every report

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO unit_progress
    (unit_id, enrolled, completed, reported_at, reporter_name, period_key, before_enrolled)
SELECT r.unit_id, r.enrolled, r.completed, r.reported_at, r.reporter_name, r.period_key,
       (SELECT b.enrolled FROM reports b
         WHERE b.unit_id = r.unit_id AND b.period_key < r.period_key
         ORDER BY b.reported_at DESC, b.id DESC LIMIT 1)
FROM reports r
WHERE r.id = (SELECT l.id FROM reports l WHERE l.unit_id = r.unit_id
              ORDER BY l.reported_at DESC, l.id DESC LIMIT 1)
"""


def upgrade() -> None:
    op.create_table(
        "unit_progress",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("reporter_name", sa.String(200), nullable=False),
        sa.Column("period_key", sa.String(16), nullable=False),
        sa.Column("before_enrolled", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_unit_progress_unit_id_units", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("unit_id", name="pk_unit_progress"),
    )
    # Existing reports (if any) seed the table, so an upgrade changes no statistic.
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("unit_progress")
