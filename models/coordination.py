"""Tables that let several bot processes share one database: marks, chat claims, drafts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class SyncMark(Base):
    """A named counter every process can watch, or a once-only marker (the row exists).

    `identities` is bumped when a role, unit or status changes, so every process drops its
    identity cache; `schedules` when a schedule changes, so the leader re-registers its jobs.
    A marker such as `schedules.defaults` is inserted with ON CONFLICT DO NOTHING: of two
    processes starting together, exactly one inserts it and does the once-only work.
    """

    __tablename__ = "sync_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatClaim(Base):
    """Which webhook worker processes a chat's updates, and until when its lease runs.

    One worker holds a chat at a time, so the chat's updates are processed in order even when
    they reach different workers; a worker that dies stops renewing, and another takes over
    when the lease runs out.
    """

    __tablename__ = "chat_claims"
    __table_args__ = (
        # Each worker renews (and at shutdown releases) all of its claims in one statement.
        Index("ix_chat_claims_worker", "worker"),
    )

    chat_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    worker: Mapped[str] = mapped_column(String(64))
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserDrafts(Base):
    """A person's conversation drafts (PTB user_data), as JSON, shared by every process."""

    __tablename__ = "user_drafts"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationState(Base):
    """Where one person stands in one named conversation (a PTB ConversationHandler)."""

    __tablename__ = "conversation_states"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The conversation key as JSON, e.g. "[123, 123]" for (chat id, user id).
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
