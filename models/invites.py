"""Invites: unguessable one-tap codes that bind a Telegram user to a unit and a role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, str_enum, utcnow
from models.contacts import Role
from models.units import Unit


class Invite(Base):
    """A code usable `max_uses` times until `expires_at`, unless revoked."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique: /start looks the code up on every registration.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # Indexed: the invite list and regeneration find a unit's current code.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), nullable=True, index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "invite_role"))
    # An officer invite's scope: whoever joins with it is that commune's officer.
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("communes.id", ondelete="CASCADE"), nullable=True
    )
    # `/moi canbo tỉnh`: whoever joins with it is a province officer.
    province_wide: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")

    def is_usable(self, now: datetime) -> bool:
        """Tell whether the code can still register someone at `now`."""
        if self.revoked:
            return False
        if self.expires_at is not None and now >= self.expires_at:
            return False
        return self.max_uses is None or self.uses < self.max_uses


class InviteRedemption(Base):
    """One person who registered with one invite: uses count people, not taps."""

    __tablename__ = "invite_redemptions"
    __table_args__ = (
        # The same person opening the same link again finds their row and uses nothing.
        UniqueConstraint("invite_id", "telegram_user_id", name="uq_invite_redemptions_invite_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invite_id: Mapped[int] = mapped_column(ForeignKey("invites.id", ondelete="CASCADE"))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
