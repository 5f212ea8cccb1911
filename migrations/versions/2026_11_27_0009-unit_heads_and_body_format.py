"""units.head_name/head_phone (from the import), directives.body_format (Markdown files)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("head_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("head_phone", sa.String(length=32), nullable=True))
    with op.batch_alter_table("directives") as batch:
        batch.add_column(
            sa.Column("body_format", sa.String(length=16), nullable=False, server_default="text")
        )


def downgrade() -> None:
    with op.batch_alter_table("directives") as batch:
        batch.drop_column("body_format")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("head_phone")
        batch.drop_column("head_name")
