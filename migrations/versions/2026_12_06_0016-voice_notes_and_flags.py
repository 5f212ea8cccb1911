"""Voice notes and flagged posts: a head's voice note, or a post reported as bad information

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("note", "photo", "document", "text")
AFTER = (*BEFORE, "voice", "flag")


def _allowed(kinds: Sequence[str]) -> str:
    """The CHECK condition of thread_messages.kind."""
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade() -> None:
    op.add_column("directives", sa.Column("voice_file_id", sa.String(200), nullable=True))
    # SQLite cannot alter a CHECK: there the batch copies the table with the new one.
    with op.batch_alter_table("thread_messages") as batch:
        batch.drop_constraint("thread_message_kind", type_="check")
        batch.create_check_constraint("thread_message_kind", _allowed(AFTER))


def downgrade() -> None:
    # Older code knows neither: voice notes read as documents (their file is kept), flagged
    # posts as typed text.
    op.execute("UPDATE thread_messages SET kind = 'document' WHERE kind = 'voice'")
    op.execute("UPDATE thread_messages SET kind = 'text' WHERE kind = 'flag'")
    with op.batch_alter_table("thread_messages") as batch:
        batch.drop_constraint("thread_message_kind", type_="check")
        batch.create_check_constraint("thread_message_kind", _allowed(BEFORE))
    with op.batch_alter_table("directives") as batch:
        batch.drop_column("voice_file_id")
