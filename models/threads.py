"""Threads: what a unit sends the commune (notes, photos, answers) and the officers' replies."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, str_enum, utcnow

# The one predicate of "an open thread", spelled as SQL for the partial unique index below and
# for INSERT … ON CONFLICT, which must name that index's predicate to infer it.
OPEN_PREDICATE = "status = 'open'"


class ThreadStatus(enum.StrEnum):
    """Whether a unit's exchange with the commune still waits for an officer.

    open ──"✅ Đã xử lý" (an officer)──► resolved
      ▲                                    │
      └──the unit writes again (a note, ───┘
         a photo, an answer to an officer)

    A unit has at most one open thread: whatever it sends joins that one; with none open, its
    answer under an officer's message reopens that thread, and anything else opens a new one.
    Officers' replies never change the status.
    """

    OPEN = "open"
    RESOLVED = "resolved"


class ThreadSide(enum.StrEnum):
    """Who wrote a message: someone of the unit, or an officer (the commune)."""

    UNIT = "unit"
    COMMUNE = "commune"


class ThreadMessageKind(enum.StrEnum):
    """What a message is."""

    # A report's "✍️ Khó khăn, đề xuất".
    NOTE = "note"
    # Evidence the unit sent (it is also an `evidence` row), or a photo in an answer.
    PHOTO = "photo"
    DOCUMENT = "document"
    # A typed answer under "↩️ Trả lời" (either side), or a head's words "📨" sent.
    TEXT = "text"
    # A head's voice note, sent to the officers as it was spoken.
    VOICE = "voice"
    # A post a head reports with "🚩 Báo tin xấu, độc" (a forward, a link, its picture).
    FLAG = "flag"


class Thread(Base):
    """One unit's exchange with the commune's officers, from its first message to "Đã xử lý"."""

    __tablename__ = "threads"
    __table_args__ = (
        # At most one open thread per unit: a unit's messages join it (two at once cannot open
        # two); INSERT … ON CONFLICT names this index through OPEN_PREDICATE.
        Index(
            "uq_threads_open_unit_id",
            "unit_id",
            unique=True,
            sqlite_where=text(OPEN_PREDICATE),
            postgresql_where=text(OPEN_PREDICATE),
        ),
        # /phanhoi: the open threads, newest activity first.
        Index("ix_threads_status_last_message_at", "status", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    status: Mapped[ThreadStatus] = mapped_column(
        str_enum(ThreadStatus, "thread_status"), default=ThreadStatus.OPEN
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ThreadMessage(Base):
    """One message of a thread, as written; the outbox message that carried it is linked."""

    __tablename__ = "thread_messages"
    __table_args__ = (
        # A thread's messages in order (its last one for /phanhoi, all for the export).
        Index("ix_thread_messages_thread_id_created_at", "thread_id", "created_at"),
        # The photos of one album are forwarded together: the album's earlier photos.
        Index(
            "ix_thread_messages_author_user_id_media_group_id", "author_user_id", "media_group_id"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    side: Mapped[ThreadSide] = mapped_column(str_enum(ThreadSide, "thread_side"))
    kind: Mapped[ThreadMessageKind] = mapped_column(
        str_enum(ThreadMessageKind, "thread_message_kind")
    )
    author_user_id: Mapped[int] = mapped_column(BigInteger)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Telegram's file id of a photo or document (the file itself is in EVIDENCE_DIR when the
    # unit sent it as evidence).
    file_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    media_group_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), nullable=True
    )
    evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence.id", ondelete="SET NULL"), nullable=True
    )
    # Unique: a redelivered Telegram update stores (and sends) nothing again.
    source_update_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
    # The outbox message that delivered it (to the officers, or to the unit).
    directive_id: Mapped[int | None] = mapped_column(
        ForeignKey("directives.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
