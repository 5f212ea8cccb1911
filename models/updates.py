"""The durable inbox: every update received from Telegram, stored before it is acknowledged."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, str_enum, utcnow


class UpdateStatus(enum.StrEnum):
    """Where a received update stands.

    ```
    pending ──processed (answered, or failed and apologised for)──► done ──pruned──► (gone)
    ```
    A row stays `pending` across a crash; the next start processes it before anything new.
    """

    PENDING = "pending"
    DONE = "done"


class ReceivedUpdate(Base):
    """One Telegram update, keyed by its `update_id`, so a redelivered one changes nothing."""

    __tablename__ = "updates"
    __table_args__ = (
        # At start, unfinished updates are read in arrival order.
        Index("ix_updates_status_update_id", "status", "update_id"),
        # Pruning deletes the rows handled long ago.
        Index("ix_updates_processed_at", "processed_at"),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The chat (or user) it belongs to: updates of one chat are processed in order.
    chat_key: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The update as Telegram sent it (JSON), enough to rebuild it after a crash.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[UpdateStatus] = mapped_column(
        str_enum(UpdateStatus, "update_status"), default=UpdateStatus.PENDING
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
