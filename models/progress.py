"""Each unit's current figures, kept beside the report history so statistics stay fast."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class UnitProgress(Base):
    """The newest report of a unit, and its figure before that report's period.

    Written in the same transaction as every report, so it always equals what the reports
    table says; statistics read one row per unit instead of searching 52 weeks of history.
    """

    __tablename__ = "unit_progress"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    enrolled: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reporter_name: Mapped[str] = mapped_column(String(200), default="")
    period_key: Mapped[str] = mapped_column(String(16))
    # The figure that stood when `period_key` began (the change shown in /thongke).
    before_enrolled: Mapped[int | None] = mapped_column(Integer, nullable=True)
