"""reports: cumulative enrolment figures per unit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(16), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("is_correction", sa.Boolean(), nullable=False),
        sa.Column("correction_reason", sa.String(300), nullable=True),
        sa.Column("reporter_user_id", sa.BigInteger(), nullable=True),
        sa.Column("reporter_name", sa.String(200), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("source_update_id", sa.BigInteger(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_reports_unit_id_units", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("source_update_id", name="uq_reports_source_update_id"),
    )
    # The newest report of a unit, and its newest report before a period began.
    op.create_index("ix_reports_unit_id_reported_at", "reports", ["unit_id", "reported_at"])
    # "Who reported in period P": one range scan per period for stats and chasing.
    op.create_index("ix_reports_period_key_unit_id", "reports", ["period_key", "unit_id"])


def downgrade() -> None:
    op.drop_index("ix_reports_period_key_unit_id", table_name="reports")
    op.drop_index("ix_reports_unit_id_reported_at", table_name="reports")
    op.drop_table("reports")
