"""Evidence: photos and documents heads send for their unit's period (the sign-up lists)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, str_enum, utcnow


class EvidenceKind(enum.StrEnum):
    """What Telegram delivered: a compressed photo or a file sent as a document."""

    PHOTO = "photo"
    DOCUMENT = "document"


class EvidenceStatus(enum.StrEnum):
    """Where the file itself stands; the row (with its file_id) exists before any download.

    pending ──downloaded──────────────────► stored
       │ ──over EVIDENCE_MAX_BYTES────────► too_large  (file_id kept: fetch it by hand later)
       └──download failed: attempts += 1──► pending … ──too many attempts──► failed
    """

    PENDING = "pending"
    STORED = "stored"
    TOO_LARGE = "too_large"
    FAILED = "failed"


class Evidence(Base):
    """One photo or document received from a unit, kept with who sent it and for which period."""

    __tablename__ = "evidence"
    __table_args__ = (
        # A unit's evidence for a period: exports and the forward to officers read it this way.
        Index("ix_evidence_unit_id_period_key", "unit_id", "period_key"),
        # Downloads still to do, retried at start.
        Index("ix_evidence_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    period_key: Mapped[str] = mapped_column(String(16))
    sender_user_id: Mapped[int] = mapped_column(BigInteger)
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[EvidenceKind] = mapped_column(str_enum(EvidenceKind, "evidence_kind"))
    file_id: Mapped[str] = mapped_column(String(200))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    mime_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The size Telegram announced (None when it did not say).
    file_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    caption: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # Unique: a redelivered update stores nothing new.
    source_update_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[EvidenceStatus] = mapped_column(
        str_enum(EvidenceStatus, "evidence_status"), default=EvidenceStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Relative to EVIDENCE_DIR; a name the bot generated, never one a user chose.
    stored_path: Mapped[str | None] = mapped_column(String(300), nullable=True)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
