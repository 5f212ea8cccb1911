"""Communes: the xã, phường and đặc khu of a province, when one deployment serves several."""

from __future__ import annotations

import enum
import unicodedata
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


class CommuneKind(enum.StrEnum):
    """The three kinds of commune-level unit since 1 July 2025: xã, phường and đặc khu."""

    COMMUNE = "xa"
    WARD = "phuong"
    SPECIAL_ZONE = "dac_khu"


# The words a name may start with, as data the name is compared with (the texts that name a
# commune take their own word from the catalog). Longest first: "đặc khu" has two words.
KIND_WORDS = (
    ("đặc khu", CommuneKind.SPECIAL_ZONE),
    ("phường", CommuneKind.WARD),
    ("xã", CommuneKind.COMMUNE),
)


def split_commune_name(name: str) -> tuple[CommuneKind, str]:
    """The kind a name says and the name without it ("Phường Tân An" → ward, "Tân An").

    A bare name ("Ea Knốp", as COMMUNE_NAME is written) is a xã.
    """
    # NFC: a COMMUNE_NAME typed on a Mac arrives decomposed, and "Phường" would not match.
    clean = unicodedata.normalize("NFC", " ".join(name.split()))
    for word, kind in KIND_WORDS:
        rest = clean[len(word) + 1 :]
        if clean[: len(word) + 1].lower() == word + " " and rest:
            return kind, rest
    return CommuneKind.COMMUNE, clean


def short_commune_name(name: str) -> str:
    """Drop a leading "Xã " that the texts' own "xã" would repeat; a ward keeps its word."""
    kind, rest = split_commune_name(name)
    return (
        rest
        if kind == CommuneKind.COMMUNE
        else unicodedata.normalize("NFC", " ".join(name.split()))
    )
