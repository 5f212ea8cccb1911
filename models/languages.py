"""The language each person chose with /ngonngu (everyone else reads the default, Vietnamese)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class LanguageChoice(Base):
    """One person's chosen language, keyed by Telegram user id.

    Kept apart from contacts so that someone not yet registered can choose too, and the
    choice survives moving between units.
    """

    __tablename__ = "language_choices"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # A catalog name under bot/texts/locales ("vi", "en", …).
    language: Mapped[str] = mapped_column(String(16))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
