"""Taking every role away: `/phanquyen <id> bỏ` and `binhdan revoke` (issue 23).

The contact is kept (its reports, notes and audit history name it) but marked LEFT and
detached from its unit: the gate then sees a stranger, broadcasts and chases skip it (and
its messages still queued are dropped), an old invite link no longer works for it, and a new
invite registers the person again like anyone else.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.common.audit import record_event
from bot.services.common.sync import IDENTITIES, bump
from models import Contact, ContactStatus, Delivery, DeliveryStatus, LanguageChoice, Role
from models.base import utcnow
from models.db import Database


class RevokeOutcome(enum.StrEnum):
    """What a revocation did."""

    REVOKED = "revoked"
    UNKNOWN = "unknown"  # nobody with a role has this id
    SETTINGS_ADMIN = "settings_admin"  # in ADMIN_IDS: the settings make them admin again
    SELF = "self"  # an admin cannot take their own role away


@dataclass(frozen=True)
class RevokeResult:
    """The outcome, and what the caller needs to tell the person and refresh their menu."""

    outcome: RevokeOutcome
    previous: Role | None = None
    unit_name: str | None = None
    chat_id: int | None = None
    language: str | None = None


async def revoke(
    db: Database,
    *,
    actor_user_id: int | None,
    user_id: int,
    settings_admins: Collection[int],
    unit_id: int | None = None,
) -> RevokeResult:
    """Take every role from `user_id` in one transaction, with an audit event.

    With `unit_id` (🚫 Gỡ on a unit's card), only while the person is still in that unit: a
    card pressed after they moved elsewhere changes nothing.
    """
    if user_id in settings_admins:
        return RevokeResult(RevokeOutcome.SETTINGS_ADMIN)
    if actor_user_id == user_id:
        return RevokeResult(RevokeOutcome.SELF)
    async with db.write() as session:
        # Locked (PostgreSQL): of two admins removing the same person at once, one does it.
        contact = await session.scalar(
            select(Contact).where(Contact.telegram_user_id == user_id).with_for_update(of=Contact)
        )
        if contact is None or contact.status == ContactStatus.LEFT:
            return RevokeResult(RevokeOutcome.UNKNOWN)
        # From a unit's card only its heads are removed (staff keep their role: /phanquyen).
        if unit_id is not None and (contact.unit_id != unit_id or contact.role != Role.HEAD):
            return RevokeResult(RevokeOutcome.UNKNOWN)
        result = await detach(session, contact, actor_user_id)
        await bump(session, IDENTITIES)
        return result


async def detach(
    session: AsyncSession, contact: Contact, actor_user_id: int | None
) -> RevokeResult:
    """Mark the contact LEFT, off its unit, with its pending messages dropped and audited."""
    previous, unit = contact.role, contact.unit
    contact.status, contact.unit_id, contact.updated_at = ContactStatus.LEFT, None, utcnow()
    # Messages queued for them before now are not sent either.
    await session.execute(
        update(Delivery)
        .where(Delivery.contact_id == contact.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, last_error="revoked")
    )
    record_event(
        session,
        actor_user_id,
        "role.revoked",
        user_id=contact.telegram_user_id,
        previous=previous.value,
        unit=unit.code if unit else None,
    )
    language = await session.scalar(
        select(LanguageChoice.language).where(
            LanguageChoice.telegram_user_id == contact.telegram_user_id
        )
    )
    return RevokeResult(
        RevokeOutcome.REVOKED, previous, unit.name if unit else None, contact.chat_id, language
    )
