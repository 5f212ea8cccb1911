"""Merging one unit into another (`binhdan units merge OLD NEW`), as villages are merged.

In one transaction: OLD's people and their conversations with the commune (threads) move to
NEW, OLD's invites stop working, and NEW's figures become the two units' sum, written as a
report "OLD → NEW" in NEW's history, so the commune's totals do not move and nothing is
counted twice. OLD is archived: out of lists and figures from then on. OLD's own reports stay
under its name, so each village's cumulative series reads as it was reported.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.common.audit import record_event
from bot.services.common.sync import IDENTITIES, bump
from bot.services.registry.units import find_unit
from bot.services.reports.periods import Period, period_at
from models import (
    Contact,
    ContactStatus,
    Invite,
    Report,
    Thread,
    ThreadMessage,
    ThreadStatus,
    Unit,
    UnitProgress,
)
from models.db import Database


class MergeRefused(enum.StrEnum):
    """Why two units cannot be merged; nothing changes."""

    SAME = "same"
    UNKNOWN_OLD = "unknown_old"
    UNKNOWN_NEW = "unknown_new"
    OLD_ARCHIVED = "old_archived"
    NEW_ARCHIVED = "new_archived"
    # Two communes' units: their people and history would change communes (as an import
    # refuses it).
    OTHER_COMMUNE = "other_commune"


@dataclass(frozen=True)
class MergePlan:
    """What a merge does (or did): the two units, the people moving, the figures after."""

    old_code: str
    old_name: str
    new_code: str
    new_name: str
    people: int
    old_reports: int
    enrolled: int | None
    adults: int | None


def _sum(*values: int | None) -> int | None:
    """The sum of the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


async def _units(session: AsyncSession, old: str, new: str) -> tuple[Unit, Unit] | MergeRefused:
    """Both units, or why they cannot be merged."""
    old_unit, new_unit = await find_unit(session, old), await find_unit(session, new)
    if old_unit is None:
        return MergeRefused.UNKNOWN_OLD
    if new_unit is None:
        return MergeRefused.UNKNOWN_NEW
    if old_unit.id == new_unit.id:
        return MergeRefused.SAME
    if not old_unit.active:
        return MergeRefused.OLD_ARCHIVED
    if not new_unit.active:
        return MergeRefused.NEW_ARCHIVED
    if old_unit.commune_id != new_unit.commune_id:
        return MergeRefused.OTHER_COMMUNE
    return old_unit, new_unit


async def _plan(session: AsyncSession, old: Unit, new: Unit) -> MergePlan:
    """What merging `old` into `new` does, read in the caller's transaction."""
    people = await session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.unit_id == old.id, Contact.status != ContactStatus.LEFT)
    )
    reports = await session.scalar(
        select(func.count()).select_from(Report).where(Report.unit_id == old.id)
    )
    old_progress = await session.get(UnitProgress, old.id)
    new_progress = await session.get(UnitProgress, new.id)
    enrolled = _sum(*(p.enrolled for p in (old_progress, new_progress) if p is not None))
    return MergePlan(
        old.code,
        old.name,
        new.code,
        new.name,
        int(people or 0),
        int(reports or 0),
        enrolled,
        _sum(old.adults, new.adults),
    )


async def plan_merge(db: Database, old: str, new: str) -> MergePlan | MergeRefused:
    """What `merge_units` would do, reading only (for the confirmation)."""
    async with db.read() as session:
        units = await _units(session, old, new)
        return units if isinstance(units, MergeRefused) else await _plan(session, *units)


async def merge_units(
    db: Database,
    old: str,
    new: str,
    *,
    now: datetime,
    period_kind: str,
    tz: ZoneInfo,
    actor_user_id: int | None,
) -> MergePlan | MergeRefused:
    """Merge OLD into NEW in one transaction (checked again inside it), audited."""
    async with db.write() as session:
        units = await _units(session, old, new)
        if isinstance(units, MergeRefused):
            return units
        old_unit, new_unit = units
        plan = await _plan(session, old_unit, new_unit)
        await _move_people(session, old_unit, new_unit)
        await _combine_figures(session, old_unit, new_unit, now, period_at(now, period_kind, tz))
        new_unit.adults = plan.adults
        old_unit.active = False
        old_unit.merged_into_id, old_unit.merged_at = new_unit.id, now
        record_event(
            session,
            actor_user_id,
            "units.merged",
            old=old_unit.code,
            new=new_unit.code,
            people=plan.people,
            enrolled=plan.enrolled,
            adults=plan.adults,
        )
        await bump(session, IDENTITIES)
        return plan


async def _move_people(session: AsyncSession, old: Unit, new: Unit) -> None:
    """OLD's people and threads go to NEW; OLD's invites stop working."""
    await session.execute(
        update(Contact)
        .where(Contact.unit_id == old.id, Contact.status != ContactStatus.LEFT)
        .values(unit_id=new.id)
    )
    await _join_open_threads(session, old, new)
    await session.execute(update(Thread).where(Thread.unit_id == old.id).values(unit_id=new.id))
    await session.execute(update(Invite).where(Invite.unit_id == old.id).values(revoked=True))


async def _join_open_threads(session: AsyncSession, old: Unit, new: Unit) -> None:
    """A unit has one open thread at most: OLD's open one's messages join NEW's open one."""
    open_of = select(Thread).where(Thread.status == ThreadStatus.OPEN)
    old_open = await session.scalar(open_of.where(Thread.unit_id == old.id))
    new_open = await session.scalar(open_of.where(Thread.unit_id == new.id))
    if old_open is None or new_open is None:
        return
    await session.execute(
        update(ThreadMessage)
        .where(ThreadMessage.thread_id == old_open.id)
        .values(thread_id=new_open.id)
    )
    new_open.last_message_at = max(new_open.last_message_at, old_open.last_message_at)
    await session.delete(old_open)
    await session.flush()


async def _combine_figures(
    session: AsyncSession, old: Unit, new: Unit, now: datetime, period: Period
) -> None:
    """NEW's current figures become the sum, recorded as a report; OLD's are counted no more."""
    old_progress = await session.get(UnitProgress, old.id)
    if old_progress is None:
        return
    key = period.key
    new_progress = await session.get(UnitProgress, new.id)
    parts = [p for p in (old_progress, new_progress) if p is not None]
    enrolled = sum(p.enrolled for p in parts)
    completed = _sum(*(p.completed for p in parts))
    # What stood when this period began, for the change /thongke shows.
    before = sum((p.before_enrolled or 0) if p.period_key == key else p.enrolled for p in parts)
    label = f"{old.code} → {new.code}"
    session.add(
        Report(
            unit_id=new.id,
            period_key=key,
            enrolled=enrolled,
            completed=completed,
            reporter_name=label,
            reported_at=now,
        )
    )
    if new_progress is None:
        new_progress = UnitProgress(unit_id=new.id)
        session.add(new_progress)
    new_progress.enrolled, new_progress.completed = enrolled, completed
    new_progress.reported_at, new_progress.reporter_name = now, label
    new_progress.period_key, new_progress.before_enrolled = key, before
    await session.delete(old_progress)
