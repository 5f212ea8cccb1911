"""Schedules held in the database, and a record of every firing (exactly once)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, str_enum, utcnow


class ScheduleKind(enum.StrEnum):
    """What a schedule does when it fires."""

    REMINDER = "reminder"
    CHASE = "chase"
    ESCALATION = "escalation"
    DIGEST = "digest"
    DIRECTIVE = "directive"


class Schedule(Base):
    """A recurring (or one-off) send: the database is the source of truth, jobs are derived."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ScheduleKind] = mapped_column(str_enum(ScheduleKind, "schedule_kind"))
    # A rule as `bot.services.schedules.rules.parse_rule` reads it, e.g. "t2 08:00".
    rule: Mapped[str] = mapped_column(String(100))
    audience: Mapped[str] = mapped_column(String(2000), default="all")
    template: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The commune whose officers own it, and whose units it reaches; None: the whole
    # deployment's (one commune, as before, or the province's own).
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("communes.id", ondelete="CASCADE"), nullable=True
    )
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RunStatus(enum.StrEnum):
    """What became of one firing.

    done: its messages were queued in the outbox (in the same transaction as this row);
    skipped: missed while the bot was down, beyond the grace period;
    manual: "▶ Chạy ngay".
    """

    DONE = "done"
    SKIPPED = "skipped"
    MANUAL = "manual"


class ScheduleRun(Base):
    """One firing, keyed by its nominal time: a second process cannot record it again."""

    __tablename__ = "schedule_runs"
    __table_args__ = (
        # Exactly once: the same firing of the same schedule can be recorded only once.
        UniqueConstraint("schedule_id", "fire_time", name="uq_schedule_runs_schedule_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    fire_time: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, "run_status"))
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
