"""language_choices, and catalog keys for the messages the bot writes itself

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "language_choices",
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name=op.f("pk_language_choices")),
    )
    with op.batch_alter_table("directives") as batch:
        batch.add_column(sa.Column("body_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("body_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("directives") as batch:
        batch.drop_column("body_params")
        batch.drop_column("body_key")
    op.drop_table("language_choices")
