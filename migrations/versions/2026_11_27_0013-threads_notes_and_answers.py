"""threads and thread_messages: notes and photos reach officers, and officers answer

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27

Notes heads wrote before this revision were stored on their report and seen by no one. The
upgrade gathers them into one open thread per unit (oldest first), so that they show in
/phanhoi and in the export; they are not sent again. The downgrade drops the threads (the
notes stay on their reports).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_PREDICATE = "status = 'open'"
THREAD_STATUSES = ("open", "resolved")
SIDES = ("unit", "commune")
KINDS = ("note", "photo", "document", "text")

THREADS_FROM_NOTES = """
INSERT INTO threads (unit_id, status, opened_at, last_message_at)
SELECT unit_id, 'open', MIN(reported_at), MAX(reported_at) FROM reports
WHERE note IS NOT NULL AND note <> ''
GROUP BY unit_id
"""
MESSAGES_FROM_NOTES = """
INSERT INTO thread_messages
    (thread_id, side, kind, author_user_id, author_name, text, report_id, created_at)
SELECT t.id, 'unit', 'note', COALESCE(r.reporter_user_id, 0), r.reporter_name, r.note, r.id,
       r.reported_at
FROM reports r JOIN threads t ON t.unit_id = r.unit_id
WHERE r.note IS NOT NULL AND r.note <> ''
ORDER BY r.reported_at, r.id
"""


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    """A portable VARCHAR with a CHECK, as models.base.str_enum makes it."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum(THREAD_STATUSES, "thread_status"), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_threads_unit_id_units", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_threads"),
    )
    # At most one open thread per unit.
    op.create_index(
        "uq_threads_open_unit_id",
        "threads",
        ["unit_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_PREDICATE),
        postgresql_where=sa.text(OPEN_PREDICATE),
    )
    # /phanhoi: the open threads, newest activity first.
    op.create_index("ix_threads_status_last_message_at", "threads", ["status", "last_message_at"])
    op.create_table(
        "thread_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("side", _enum(SIDES, "thread_side"), nullable=False),
        sa.Column("kind", _enum(KINDS, "thread_message_kind"), nullable=False),
        sa.Column("author_user_id", sa.BigInteger(), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("file_id", sa.String(200), nullable=True),
        sa.Column("media_group_id", sa.String(64), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("source_update_id", sa.BigInteger(), nullable=True),
        sa.Column("directive_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.id"],
            name="fk_thread_messages_thread_id_threads",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name="fk_thread_messages_report_id_reports",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence.id"],
            name="fk_thread_messages_evidence_id_evidence",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
            name="fk_thread_messages_directive_id_directives",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_thread_messages"),
        sa.UniqueConstraint("source_update_id", name="uq_thread_messages_source_update_id"),
    )
    # A thread's messages in order.
    op.create_index(
        "ix_thread_messages_thread_id_created_at", "thread_messages", ["thread_id", "created_at"]
    )
    # The earlier photos of an album, forwarded together.
    op.create_index(
        "ix_thread_messages_author_user_id_media_group_id",
        "thread_messages",
        ["author_user_id", "media_group_id"],
    )
    op.execute(THREADS_FROM_NOTES)
    op.execute(MESSAGES_FROM_NOTES)


def downgrade() -> None:
    op.drop_index("ix_thread_messages_author_user_id_media_group_id", table_name="thread_messages")
    op.drop_index("ix_thread_messages_thread_id_created_at", table_name="thread_messages")
    op.drop_table("thread_messages")
    op.drop_index("ix_threads_status_last_message_at", table_name="threads")
    op.drop_index("uq_threads_open_unit_id", table_name="threads")
    op.drop_table("threads")
