"""directives.photo_file_ids and directives.buttons: outbox messages with photos and own buttons

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("directives") as batch:
        batch.add_column(sa.Column("photo_file_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("buttons", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("directives") as batch:
        batch.drop_column("buttons")
        batch.drop_column("photo_file_ids")
