"""Good models units share, commendations of a period, and the milestones units reach."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, str_enum, utcnow


class GoodModelStatus(enum.StrEnum):
    """Where a shared good model (mô hình hay, cách làm hay) stands.

    submitted ──✅ Duyệt──────────────► approved ──📢 Lan tỏa──► spread
        └──❌ Không duyệt (a reason)──► rejected

    Every step is a conditional UPDATE from the state before it, so two officers pressing at
    once move the model once; "✏️ Sửa tiêu đề" and "👥 Gửi tới" change an approved model only.
    """

    SUBMITTED = "submitted"
    APPROVED = "approved"
    SPREAD = "spread"
    REJECTED = "rejected"


class GoodModel(Base):
    """A good model, initiative or way of working one unit shared for the others to copy."""

    __tablename__ = "good_models"
    __table_args__ = (
        # /mohinh lists the approved and spread models, newest first.
        Index("ix_good_models_status_approved_at", "status", "approved_at"),
        # The commendation counts each unit's models spread within a period.
        Index("ix_good_models_unit_id_spread_at", "unit_id", "spread_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    author_user_id: Mapped[int] = mapped_column(BigInteger)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    # An officer shared it for the unit (the unit is still the one credited).
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    photo_file_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[GoodModelStatus] = mapped_column(
        str_enum(GoodModelStatus, "good_model_status"), default=GoodModelStatus.SUBMITTED
    )
    # Who it is spread to, as a broadcast audience ("all", "thon", "co_quan", "units:T01,…").
    audience: Mapped[str] = mapped_column(String(2000), default="all")
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    spread_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    spread_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # "📢 Lan tỏa toàn tỉnh": a province officer sent it to every other commune's units, once.
    province_spread_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    province_spread_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The outbox message that spread it (delivered and acknowledged like a directive).
    directive_id: Mapped[int | None] = mapped_column(
        ForeignKey("directives.id", ondelete="SET NULL"), nullable=True
    )
    # Unique: the update that sent it; a redelivered "📤 Gửi" stores nothing new.
    source_update_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Commendation(Base):
    """A commendation list (biểu dương) sent for one reporting period."""

    __tablename__ = "commendations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed: the printed list of a period is its newest commendation.
    period_key: Mapped[str] = mapped_column(String(16), index=True)
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    # TARGET_PERCENT when it was sent ("reached the target" is judged against it).
    target_percent: Mapped[float] = mapped_column(Float)
    # The commune whose list it is; None: the whole deployment's (one commune, as before).
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("communes.id", ondelete="CASCADE"), nullable=True
    )
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The list sent to every unit (acknowledged like a directive).
    directive_id: Mapped[int | None] = mapped_column(
        ForeignKey("directives.id", ondelete="SET NULL"), nullable=True
    )


class CommendationUnit(Base):
    """One unit of a commendation: what it achieved and the figures that showed it."""

    __tablename__ = "commendation_units"
    __table_args__ = (
        # A unit is commended once per list.
        UniqueConstraint(
            "commendation_id", "unit_id", name="uq_commendation_units_commendation_id"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commendation_id: Mapped[int] = mapped_column(ForeignKey("commendations.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)
    # [[achievement, rank or null], …]: "top_share", "top_rise", "reached_target",
    # "model_spread" or "proposed" (added by the officer).
    merits: Mapped[list[Any]] = mapped_column(JSON)
    adults: Mapped[int | None] = mapped_column(Integer, nullable=True)
    enrolled: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The figure that stood when the period began (the rise is measured from it).
    start_enrolled: Mapped[int | None] = mapped_column(Integer, nullable=True)
    models_spread: Mapped[int] = mapped_column(Integer, default=0)


class MilestoneKind(enum.StrEnum):
    """A share of adults enrolled that a unit is congratulated for once: 50 %, then the target."""

    HALF = "half"
    TARGET = "target"


class Milestone(Base):
    """A unit's report crossed a milestone for the first time (written with that report)."""

    __tablename__ = "milestones"
    __table_args__ = (
        # Never twice: the report's transaction inserts ON CONFLICT DO NOTHING.
        UniqueConstraint("unit_id", "kind", name="uq_milestones_unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[MilestoneKind] = mapped_column(str_enum(MilestoneKind, "milestone_kind"))
    # The percentage crossed (50, or TARGET_PERCENT at the time).
    threshold: Mapped[float] = mapped_column(Float)
    enrolled: Mapped[int] = mapped_column(Integer)
    adults: Mapped[int] = mapped_column(Integer)
    # Indexed: a redelivered report gets the same congratulation back.
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
