"""directives.kind: directives, reminders, chases and digests share the outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("directive", "reminder", "chase", "digest")


def upgrade() -> None:
    # No CHECK here: SQLite cannot drop a column that a CHECK names; the ORM validates kinds.
    op.add_column(
        "directives",
        sa.Column(
            "kind",
            sa.Enum(
                *KINDS, name="message_kind", native_enum=False, create_constraint=False, length=20
            ),
            nullable=False,
            server_default="directive",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("directives") as batch:
        batch.drop_column("kind")
