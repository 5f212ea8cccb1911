"""Contacts: the Telegram users the bot knows, with their unit and role."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, str_enum, utcnow
from models.units import Unit


class Role(enum.StrEnum):
    """What a contact may do; strangers have no contact row at all."""

    HEAD = "head"
    OFFICER = "officer"
    ADMIN = "admin"


class ContactStatus(enum.StrEnum):
    """Whether messages can reach the contact.

    active ──403 from Telegram──► blocked ──/start again──► active
    active ──moved away / removed──► left
    """

    ACTIVE = "active"
    BLOCKED = "blocked"
    LEFT = "left"


class Contact(Base):
    """A Telegram user bound to at most one unit at a time."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique: a user belongs to one unit at a time, and the gate looks roles up by user id.
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # Indexed: broadcasts and stats list the contacts of a unit.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), nullable=True, index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "contact_role"))
    # An officer's scope: their commune, or None for the whole deployment (a province
    # officer, or every officer of a one-commune deployment).
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("communes.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # A province officer, said explicitly: in a province, an officer with neither this nor a
    # commune sees nothing (fails closed) rather than every commune.
    province_wide: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[ContactStatus] = mapped_column(
        str_enum(ContactStatus, "contact_status"), default=ContactStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
