"""Units: the thôn, buôn and agencies that receive directives and report."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, str_enum, utcnow


class UnitKind(enum.StrEnum):
    """What kind of unit this is; thôn/buôn/tổ dân phố are residential, the rest agencies."""

    THON = "thon"
    BUON = "buon"
    TO_DAN_PHO = "to_dan_pho"
    CO_QUAN = "co_quan"
    TRUONG_HOC = "truong_hoc"
    KHAC = "khac"

    @property
    def is_residential(self) -> bool:
        """Tell whether residents (not staff) of this unit are counted."""
        return self in (UnitKind.THON, UnitKind.BUON, UnitKind.TO_DAN_PHO)


class Unit(Base):
    """One unit of the commune, identified by a short code chosen by the commune."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique: the import upserts by code, and admins type it in commands.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind, "unit_kind"))
    adults: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The commune it belongs to in a province deployment; None in a one-commune deployment.
    # Indexed: every commune officer's query is narrowed by it (models/scope.py).
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("communes.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # The unit a merge joined it to, and when (`binhdan units merge`): its figures count there
    # from then on, so neither an old list nor a period's rise counts them twice.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), nullable=True
    )
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The head's name and phone as the commune's list has them (optional import columns):
    # the export names them until someone registers and reports.
    head_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    head_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
