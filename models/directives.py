"""Directives (công văn, thông báo), their per-recipient deliveries and acknowledgements."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, str_enum, utcnow


class MessageKind(enum.StrEnum):
    """What an outbox message is: a directive (acknowledged), a nudge to report, or a note.

    A shared good model goes to officers for review (`model_review`), then to the units
    (`model`); a period's commendation list goes to every unit (`commendation`); thanks,
    refusals, congratulations and milestone lines are short notes (`notice`).
    """

    DIRECTIVE = "directive"
    # "📣 Thông tin chính thức": the commune's own facts, answering bad information that heads
    # reported (🚩); composed and tracked as a directive, headed differently.
    OFFICIAL = "official"
    REMINDER = "reminder"
    CHASE = "chase"
    DIGEST = "digest"
    # A unit's note, photo or answer, forwarded to the officers (with "↩️ Trả lời").
    FEEDBACK = "feedback"
    # An officer's answer, to the unit's contacts (with "↩️ Trả lời" to answer back).
    ANSWER = "answer"
    MODEL_REVIEW = "model_review"
    MODEL = "model"
    COMMENDATION = "commendation"
    NOTICE = "notice"

    @property
    def acknowledged(self) -> bool:
        """Whether recipients confirm it with "✅ Đã nhận" (and officers track who has not)."""
        return self in (
            MessageKind.DIRECTIVE,
            MessageKind.OFFICIAL,
            MessageKind.MODEL,
            MessageKind.COMMENDATION,
        )

    @property
    def composed(self) -> bool:
        """Whether officers write it in /thongbao (listed, exported and sent again as theirs)."""
        return self in COMPOSED_KINDS


# What officers compose in /thongbao, as opposed to what the bot writes by itself.
COMPOSED_KINDS = (MessageKind.DIRECTIVE, MessageKind.OFFICIAL)


class Directive(Base):
    """What the commune sends: number, date, subject, body, optional document and deadline.

    Reminders and chases to late units use the same record and outbox, with another `kind`.
    """

    __tablename__ = "directives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Validated by the ORM only (no CHECK), so that the column can be dropped on SQLite.
    kind: Mapped[MessageKind] = mapped_column(
        Enum(
            MessageKind,
            name="message_kind",
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda members: [member.value for member in members],
        ),
        default=MessageKind.DIRECTIVE,
        server_default=MessageKind.DIRECTIVE.value,
    )
    number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Messages the bot writes itself (reminders, chases, digests) are stored as a catalog key
    # and its values, and rendered in each recipient's language at sending time.
    body_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body_params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # "text" (escaped as typed) or "markdown" (a file from `binhdan broadcast`, rendered to
    # Telegram HTML at sending time).
    body_format: Mapped[str] = mapped_column(String(16), default="text", server_default="text")
    # Photos sent before the text (Telegram file ids), and extra button rows
    # ([[catalog key, callback data], …] per row) labelled in each recipient's language.
    photo_file_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    buttons: Mapped[list[list[list[str]]] | None] = mapped_column(JSON, nullable=True)
    document_file_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    document_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A voice note sent before the text (a head's, forwarded to the officers).
    voice_file_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    # "all", "thon" (thôn/buôn/tổ dân phố), "co_quan" (agencies and schools) or "units:T01,T02".
    audience: Mapped[str] = mapped_column(String(2000), default="all")
    # The commune whose officers sent it (a commune officer sees only these); None: the
    # whole deployment's (a one-commune deployment, the province, the bot's own nudges).
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("communes.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the sender's progress message lives, so any process can edit it in place.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeliveryStatus(enum.StrEnum):
    """Where one recipient's copy of a directive stands.

    pending ──claimed──► sending ──ok──────────► sent
       ▲                    │ ──403 blocked────► blocked   (never retried)
       │                    │ ──400 / too many─► failed
       └──network, 5xx, 429─┘  (attempts += 1, next_attempt_at = now + backoff)

    A claim is a lease: the sender writes its name in `claimed_by` and `lease_until`, renews
    the lease while the send is under way, and only a row whose lease ran out (its sender died
    or lost the database) goes back to `pending`. So a second process never takes rows another
    one is sending, and at most the messages in flight when a sender died may arrive twice.
    Outcomes are written only by the lease holder.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


class Delivery(Base):
    """One directive to one contact: the outbox row, written before anything is sent."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # A contact gets a directive once, whatever happens to the process.
        UniqueConstraint("directive_id", "contact_id", name="uq_deliveries_directive_id"),
        # The dispatcher's query: the next due rows, oldest first.
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # Progress and summaries count one directive's rows by status.
        Index("ix_deliveries_directive_id_status", "directive_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Parts already delivered, so a retry of a long directive resumes instead of repeating.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The process sending it (while `sending`) and until when that claim holds.
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Acknowledgement(Base):
    """A recipient pressed "✅ Đã nhận"; a unit counts as acknowledged once any contact has."""

    __tablename__ = "acknowledgements"
    __table_args__ = (
        # Pressing twice records once.
        UniqueConstraint("directive_id", "contact_id", name="uq_acknowledgements_directive_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
