"""Reports: immutable cumulative figures of a unit; corrections are new rows with a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.units import Unit


class Report(Base):
    """One report: the unit's running totals at `reported_at`.

    A unit's current figures are its newest row. A lower figure than the newest is stored only
    once confirmed, as a row with `is_correction` and a `correction_reason`; older rows stay.
    A report that gives only the enrolled figure keeps the last completed one
    (`completed_carried`), so every row is a complete snapshot of the unit.
    """

    __tablename__ = "reports"
    __table_args__ = (
        # The newest report of a unit, and its newest report before a period began.
        Index("ix_reports_unit_id_reported_at", "unit_id", "reported_at"),
        # "Who reported in period P": one range scan per period for stats and chasing.
        Index("ix_reports_period_key_unit_id", "period_key", "unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    period_key: Mapped[str] = mapped_column(String(16))
    enrolled: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The head gave only the enrolled figure: `completed` is the unit's last one, kept.
    completed_carried: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    is_correction: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reporter_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reporter_name: Mapped[str] = mapped_column(String(200), default="")
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    # Unique: a redelivered Telegram update must not store a second row.
    source_update_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
