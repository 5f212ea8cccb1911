"""Changing one unit from the admin's phone: its card, adults, name, and archiving it (issue 23).

Every change is one transaction with an audit event. An archived unit (`active` false) leaves
lists, pickers, chases and percentages; its reports stay, so the exports' history keeps them,
and importing a file that lists it again brings it back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.common.audit import record_event
from bot.services.common.sync import IDENTITIES, bump
from bot.services.registry.revoke import RevokeResult, detach
from bot.services.registry.units import find_unit
from models import (
    Contact,
    ContactStatus,
    Invite,
    Role,
    Thread,
    ThreadStatus,
    Unit,
    UnitKind,
    UnitProgress,
)
from models.base import utcnow
from models.db import Database

MAX_NAME = 200


@dataclass(frozen=True)
class Member:
    """Someone registered for the unit."""

    user_id: int
    name: str
    role: Role


@dataclass(frozen=True)
class UnitCard:
    """What /donvi CODE shows."""

    unit_id: int
    code: str
    name: str
    kind: UnitKind
    adults: int | None
    active: bool
    enrolled: int | None
    members: tuple[Member, ...]


class Change(enum.StrEnum):
    """What a change to a unit did."""

    DONE = "done"
    UNKNOWN = "unknown"  # no unit with this code
    ARCHIVED = "archived"  # already archived: nothing to change
    BELOW_ENROLLED = "below_enrolled"  # fewer adults than it already reported enrolled
    UNCHANGED = "unchanged"
    NAME_TAKEN = "name_taken"  # another unit followed has this name


@dataclass(frozen=True)
class Changed:
    """The outcome, the card after it, and the people an archive removed (to tell them)."""

    outcome: Change
    card: UnitCard | None = None
    removed: tuple[RevokeResult, ...] = ()


async def _members(session: AsyncSession, unit_id: int) -> tuple[Member, ...]:
    """The unit's registered people (not those who left), by name."""
    rows = await session.scalars(
        select(Contact)
        .where(Contact.unit_id == unit_id, Contact.status != ContactStatus.LEFT)
        .order_by(Contact.display_name, Contact.telegram_user_id)
    )
    return tuple(Member(c.telegram_user_id, c.display_name, c.role) for c in rows)


async def _card(session: AsyncSession, unit: Unit) -> UnitCard:
    """The card of a unit loaded in this session."""
    enrolled = await session.scalar(
        select(UnitProgress.enrolled).where(UnitProgress.unit_id == unit.id)
    )
    return UnitCard(
        unit.id,
        unit.code,
        unit.name,
        unit.kind,
        unit.adults,
        unit.active,
        enrolled,
        await _members(session, unit.id),
    )


async def unit_card(db: Database, code: str) -> UnitCard | None:
    """One unit's card by its code (archived ones too), or None."""
    async with db.read() as session:
        unit = await find_unit(session, code)
        return None if unit is None else await _card(session, unit)


async def _followed(session: AsyncSession, code: str) -> Unit | Changed:
    """The unit to change, locked (PostgreSQL: two admins take turns); or why not."""
    unit = await find_unit(session, code, for_update=True)
    if unit is None:
        return Changed(Change.UNKNOWN)
    if not unit.active:
        return Changed(Change.ARCHIVED, await _card(session, unit))
    return unit


async def set_adults(db: Database, code: str, adults: int, *, actor_user_id: int) -> Changed:
    """Set the number of adults, never below the enrolled figure already reported."""
    async with db.write() as session:
        unit = await _followed(session, code)
        if isinstance(unit, Changed):
            return unit
        card = await _card(session, unit)
        if card.enrolled is not None and adults < card.enrolled:
            return Changed(Change.BELOW_ENROLLED, card)
        if unit.adults == adults:
            return Changed(Change.UNCHANGED, card)
        record_event(
            session, actor_user_id, "unit.adults", unit=unit.code, before=unit.adults, after=adults
        )
        unit.adults = adults
        # Heads' cached identities carry the adults their reports are checked against.
        await bump(session, IDENTITIES)
        return Changed(Change.DONE, await _card(session, unit))


async def rename_unit(db: Database, code: str, name: str, *, actor_user_id: int) -> Changed:
    """Give the unit a new name (already checked: 1 to MAX_NAME characters)."""
    async with db.write() as session:
        unit = await _followed(session, code)
        if isinstance(unit, Changed):
            return unit
        if unit.name == name:
            return Changed(Change.UNCHANGED, await _card(session, unit))
        taken = await session.scalar(
            select(Unit.id).where(
                func.lower(Unit.name) == name.lower(), Unit.id != unit.id, Unit.active.is_(True)
            )
        )
        if taken is not None:
            return Changed(Change.NAME_TAKEN, await _card(session, unit))
        record_event(
            session, actor_user_id, "unit.renamed", unit=unit.code, before=unit.name, after=name
        )
        unit.name = name
        # Heads see their unit's name in every message: identities are cached.
        await bump(session, IDENTITIES)
        return Changed(Change.DONE, await _card(session, unit))


async def archive_unit(db: Database, code: str, *, actor_user_id: int) -> Changed:
    """Stop following the unit: out of lists and figures; its people are removed from it."""
    async with db.write() as session:
        unit = await _followed(session, code)
        if isinstance(unit, Changed):
            return unit
        contacts = list(
            await session.scalars(
                select(Contact).where(
                    Contact.unit_id == unit.id, Contact.status != ContactStatus.LEFT
                )
            )
        )
        # Heads leave with their unit; officers and admins keep their role, without a unit.
        heads = [c for c in contacts if c.role == Role.HEAD]
        for contact in contacts:
            if contact.role != Role.HEAD:
                contact.unit_id = None
        removed = tuple([await detach(session, c, actor_user_id) for c in heads])
        # Its codes stop working: nobody registers for a unit that is no longer followed.
        await session.execute(update(Invite).where(Invite.unit_id == unit.id).values(revoked=True))
        closed = await _close_threads(session, unit, actor_user_id)
        unit.active = False
        record_event(
            session,
            actor_user_id,
            "unit.archived",
            unit=unit.code,
            removed=len(removed),
            threads_closed=closed,
        )
        await bump(session, IDENTITIES)
        return Changed(Change.DONE, await _card(session, unit), removed)


async def _close_threads(session: AsyncSession, unit: Unit, actor_user_id: int) -> list[int]:
    """Nobody of the unit is left to answer: its open conversation no longer waits for anyone."""
    closed = await session.scalars(
        update(Thread)
        .where(Thread.unit_id == unit.id, Thread.status == ThreadStatus.OPEN)
        .values(status=ThreadStatus.RESOLVED, resolved_at=utcnow(), resolved_by=actor_user_id)
        .returning(Thread.id)
    )
    return list(closed)
