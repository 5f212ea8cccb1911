"""Communes: the xã, phường and đặc khu of a province, when one deployment serves several."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Commune(Base):
    """One commune of the province, keyed by its 5-digit code (QĐ 19/2025/QĐ-TTg).

    A deployment whose unit file names no commune has no row here: its units have no
    commune, and it is the one commune `COMMUNE_NAME` names, as before.
    """

    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def short_name(self) -> str:
        """The name as texts write it after their own "xã" ("Xã Ea Knốp" → "Ea Knốp")."""
        return short_commune_name(self.name)


# The word "xã", as data the name is compared with (the texts themselves are in the catalog).
COMMUNE_WORD = "xã"


def short_commune_name(name: str) -> str:
    """Drop a leading "Xã " that the unit file wrote and every text already says."""
    head, _, rest = name.strip().partition(" ")
    return rest.strip() if head.lower() == COMMUNE_WORD and rest.strip() else name.strip()
