"""updates: the durable inbox of received Telegram updates

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "done",
                name="update_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_updates")),
    )
    # At start, unfinished updates are read in arrival order.
    op.create_index("ix_updates_status_update_id", "updates", ["status", "update_id"])
    # Pruning deletes the rows handled long ago.
    op.create_index("ix_updates_processed_at", "updates", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_updates_processed_at", table_name="updates")
    op.drop_index("ix_updates_status_update_id", table_name="updates")
    op.drop_table("updates")
