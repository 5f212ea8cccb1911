"""evidence, invite_redemptions, and reports that keep the completed figure they were not given

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27

A report that gave only the enrolled figure used to store NULL as completed, and since a
unit's current figures are its newest row, /tiendo, /thongke and the XLSX then showed 0
completed. From now on such a report keeps the unit's last completed figure and says so in
`completed_carried`. The upgrade repairs the rows already stored the same way: the history
keeps what the head said (the flag tells a kept figure from a reported one, and the downgrade
can put the NULLs back), while every row and unit_progress hold the complete current figures
that every screen and export reads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVIDENCE_KINDS = ("photo", "document")
EVIDENCE_STATUSES = ("pending", "stored", "too_large", "failed")

# Each report without a completed figure takes the newest earlier non-NULL completed of its
# unit (never more than its own enrolled figure: completed cannot exceed enrolled).
CARRY = """
UPDATE reports
SET completed = (
        SELECT e.completed FROM reports e
        WHERE e.unit_id = reports.unit_id AND e.completed IS NOT NULL
          AND (e.reported_at < reports.reported_at
               OR (e.reported_at = reports.reported_at AND e.id < reports.id))
        ORDER BY e.reported_at DESC, e.id DESC LIMIT 1),
    completed_carried = :yes
WHERE completed IS NULL
  AND (SELECT e.completed FROM reports e
        WHERE e.unit_id = reports.unit_id AND e.completed IS NOT NULL
          AND (e.reported_at < reports.reported_at
               OR (e.reported_at = reports.reported_at AND e.id < reports.id))
        ORDER BY e.reported_at DESC, e.id DESC LIMIT 1) <= enrolled
"""
# unit_progress is the newest report of each unit: follow the reports, both ways.
PROGRESS = """
UPDATE unit_progress
SET completed = (
    SELECT r.completed FROM reports r WHERE r.unit_id = unit_progress.unit_id
    ORDER BY r.reported_at DESC, r.id DESC LIMIT 1)
"""
UNCARRY = "UPDATE reports SET completed = NULL WHERE completed_carried = :yes"


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(
            sa.Column("completed_carried", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(sa.text(CARRY).bindparams(yes=True))
    op.execute(PROGRESS)
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(16), nullable=False),
        sa.Column("sender_user_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_name", sa.String(200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *EVIDENCE_KINDS,
                name="evidence_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("file_id", sa.String(200), nullable=False),
        sa.Column("file_unique_id", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=True),
        sa.Column("mime_type", sa.String(100), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("caption", sa.String(1024), nullable=True),
        sa.Column("source_update_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *EVIDENCE_STATUSES,
                name="evidence_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("stored_path", sa.String(300), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_evidence_unit_id_units", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.UniqueConstraint("source_update_id", name="uq_evidence_source_update_id"),
    )
    # A unit's evidence for a period: exports and the forward to officers read it this way.
    op.create_index("ix_evidence_unit_id_period_key", "evidence", ["unit_id", "period_key"])
    # Downloads still to do, retried at start.
    op.create_index("ix_evidence_status", "evidence", ["status"])
    op.create_table(
        "invite_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["invites.id"],
            name="fk_invite_redemptions_invite_id_invites",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invite_redemptions"),
        sa.UniqueConstraint(
            "invite_id", "telegram_user_id", name="uq_invite_redemptions_invite_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("invite_redemptions")
    op.drop_index("ix_evidence_status", table_name="evidence")
    op.drop_index("ix_evidence_unit_id_period_key", table_name="evidence")
    op.drop_table("evidence")
    op.execute(sa.text(UNCARRY).bindparams(yes=True))
    op.execute(PROGRESS)
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("completed_carried")
