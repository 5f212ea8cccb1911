"""good_models, commendations, commendation_units and milestones (issue 12: share and commend)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27

New outbox kinds ("model_review", "model", "commendation", "notice") need no change:
directives.kind has no CHECK constraint.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODEL_STATUSES = ("submitted", "approved", "spread", "rejected")
MILESTONE_KINDS = ("half", "target")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    """A portable VARCHAR with a CHECK constraint, as models.base.str_enum stores it."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "good_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.BigInteger(), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("photo_file_ids", sa.JSON(), nullable=True),
        sa.Column("status", _enum(MODEL_STATUSES, "good_model_status"), nullable=False),
        sa.Column("audience", sa.String(2000), nullable=False),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("spread_by", sa.BigInteger(), nullable=True),
        sa.Column("spread_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("directive_id", sa.Integer(), nullable=True),
        sa.Column("source_update_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_good_models_unit_id_units", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
            name="fk_good_models_directive_id_directives",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_good_models"),
        sa.UniqueConstraint("source_update_id", name="uq_good_models_source_update_id"),
    )
    # /mohinh lists the approved and spread models, newest first.
    op.create_index("ix_good_models_status_approved_at", "good_models", ["status", "approved_at"])
    # The commendation counts each unit's models spread within a period.
    op.create_index("ix_good_models_unit_id_spread_at", "good_models", ["unit_id", "spread_at"])
    op.create_table(
        "commendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(16), nullable=False),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("period_last", sa.Date(), nullable=False),
        sa.Column("target_percent", sa.Float(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
            name="fk_commendations_directive_id_directives",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_commendations"),
    )
    # The printed list of a period is its newest commendation.
    op.create_index("ix_commendations_period_key", "commendations", ["period_key"])
    op.create_table(
        "commendation_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commendation_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("merits", sa.JSON(), nullable=False),
        sa.Column("adults", sa.Integer(), nullable=True),
        sa.Column("enrolled", sa.Integer(), nullable=True),
        sa.Column("start_enrolled", sa.Integer(), nullable=True),
        sa.Column("models_spread", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commendation_id"],
            ["commendations.id"],
            name="fk_commendation_units_commendation_id_commendations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name="fk_commendation_units_unit_id_units",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_commendation_units"),
        sa.UniqueConstraint(
            "commendation_id", "unit_id", name="uq_commendation_units_commendation_id"
        ),
    )
    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum(MILESTONE_KINDS, "milestone_kind"), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("adults", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_milestones_unit_id_units", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name="fk_milestones_report_id_reports",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_milestones"),
        sa.UniqueConstraint("unit_id", "kind", name="uq_milestones_unit_id"),
    )
    # A redelivered report gets the same congratulation back.
    op.create_index("ix_milestones_report_id", "milestones", ["report_id"])


def downgrade() -> None:
    op.drop_index("ix_milestones_report_id", table_name="milestones")
    op.drop_table("milestones")
    op.drop_table("commendation_units")
    op.drop_index("ix_commendations_period_key", table_name="commendations")
    op.drop_table("commendations")
    op.drop_index("ix_good_models_unit_id_spread_at", table_name="good_models")
    op.drop_index("ix_good_models_status_approved_at", table_name="good_models")
    op.drop_table("good_models")
