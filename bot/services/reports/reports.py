"""Enrolment reports: who may report, validation, decreases, idempotency, echo and progress."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.common.audit import record_event
from bot.services.registry.contacts import Identity
from bot.services.registry.units import find_unit
from bot.services.reports.numbers import (
    Figure,
    NumberRefusal,
    Refusal,
    check_range,
    parse_count,
    split_figures,
)
from bot.services.reports.periods import Period, period_at, recent_periods
from models import Report, Role, Unit, UnitProgress
from models.db import Database

MAX_NOTE = 500
# A first argument with a letter in it may be a unit code ("/baocao T01 120"); figures never are.
UNIT_CODE_ARG = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Figures:
    """What a head reports: cumulative enrolled and (optionally) completed."""

    enrolled: int
    completed: int | None = None


@dataclass(frozen=True)
class Target:
    """The unit a report is for, and whether staff report on its behalf."""

    unit_id: int
    unit_name: str
    adults: int | None
    on_behalf: bool


@dataclass(frozen=True)
class Reporter:
    """Who sends the report."""

    user_id: int | None
    name: str


@dataclass(frozen=True)
class Echo:
    """What the bot repeats back after recording."""

    unit_name: str
    enrolled: int
    completed: int | None
    change: int | None
    percent: float | None
    period: Period
    is_correction: bool
    completed_carried: bool = False


class Refused(enum.StrEnum):
    """Why someone may not report for a unit."""

    NOT_A_REPORTER = "not_a_reporter"
    OTHER_UNIT = "other_unit"
    STAFF_NEEDS_UNIT = "staff_needs_unit"
    UNKNOWN_UNIT = "unknown_unit"


class ReportRefused(Exception):
    """The sender may not report for that unit."""

    def __init__(self, reason: Refused) -> None:
        """Keep the reason code."""
        super().__init__(reason.value)
        self.reason = reason


def _target(unit: Unit, on_behalf: bool) -> Target:
    """Snapshot what the conversation needs of a unit."""
    return Target(unit.id, unit.name, unit.adults, on_behalf)


async def _resolve_target(
    session: AsyncSession, identity: Identity, unit_code: str | None
) -> Target:
    """Decide which unit the sender reports for, or raise ReportRefused."""
    if identity.role is None:
        raise ReportRefused(Refused.NOT_A_REPORTER)
    if unit_code is not None:
        unit = await find_unit(session, unit_code)
        if unit is None or not unit.active:
            raise ReportRefused(Refused.UNKNOWN_UNIT)
        if identity.role in (Role.OFFICER, Role.ADMIN):
            return _target(unit, on_behalf=unit.id != identity.unit_id)
        if unit.id != identity.unit_id:
            raise ReportRefused(Refused.OTHER_UNIT)
        return _target(unit, on_behalf=False)
    return own_target(identity)


def may_report_for(identity: Identity, target: Target) -> bool:
    """Whether the sender may still report for the target: a role can change mid-question."""
    if target.on_behalf:
        return identity.role in (Role.OFFICER, Role.ADMIN)
    return identity.role is not None and identity.unit_id == target.unit_id


def own_target(identity: Identity) -> Target:
    """The sender's own unit (the gate already loaded it: no query), or ReportRefused."""
    if identity.unit_id is None or identity.unit_name is None:
        staff = identity.role in (Role.OFFICER, Role.ADMIN)
        raise ReportRefused(Refused.STAFF_NEEDS_UNIT if staff else Refused.NOT_A_REPORTER)
    return Target(identity.unit_id, identity.unit_name, identity.unit_adults, on_behalf=False)


@dataclass(frozen=True)
class ReportCommand:
    """A /baocao or /tiendo command read: whose unit, and the figures typed after it."""

    target: Target
    numbers: str


async def read_command(db: Database, identity: Identity, args: list[str]) -> ReportCommand:
    """Tell "/baocao T01 120 45" (a unit code first) from "/baocao một trăm"; find the unit."""
    if args and UNIT_CODE_ARG.match(args[0]):
        async with db.read() as session:
            if await find_unit(session, args[0]) is not None:
                target = await _resolve_target(session, identity, args[0])
                return ReportCommand(target, " ".join(args[1:]))
    if identity.role is None:
        raise ReportRefused(Refused.NOT_A_REPORTER)
    return ReportCommand(own_target(identity), " ".join(args))


def figures_from_text(text: str) -> Figures:
    """Read "120", "120 45" or "1 250, 45" into figures, or raise NumberRefusal."""
    pieces = split_figures(text)
    if len(pieces) > 2:
        raise NumberRefusal(Refusal.TOO_MANY)
    enrolled = parse_count(pieces[0]) if pieces else parse_count("")
    completed = parse_count(pieces[1]) if len(pieces) == 2 else None
    return Figures(enrolled, completed)


def validate_figures(figures: Figures, adults: int | None) -> None:
    """Refuse figures above the unit's adults, and completed above enrolled."""
    check_range(figures.enrolled, adults, figure=Figure.ENROLLED)
    if figures.completed is not None:
        check_range(figures.completed, adults, figure=Figure.COMPLETED)
        if figures.completed > figures.enrolled:
            raise NumberRefusal(
                Refusal.COMPLETED_ABOVE_ENROLLED,
                completed=figures.completed,
                enrolled=figures.enrolled,
            )


async def latest_report(
    session: AsyncSession, unit_id: int, before: datetime | None = None
) -> Report | None:
    """The unit's newest report (optionally, the newest before an instant)."""
    query = select(Report).where(Report.unit_id == unit_id)
    if before is not None:
        query = query.where(Report.reported_at < before)
    report: Report | None = await session.scalar(
        query.order_by(Report.reported_at.desc(), Report.id.desc()).limit(1)
    )
    return report


def carry_completed(figures: Figures, previous: Report | None) -> tuple[int | None, bool]:
    """The completed figure to store, and whether it was kept from the last report.

    A report that gives only the enrolled figure keeps the unit's last completed one, unless
    that would be above the new enrolled figure (then both must be given again).
    """
    if figures.completed is not None or previous is None or previous.completed is None:
        return figures.completed, False
    if previous.completed > figures.enrolled:
        return None, False
    return previous.completed, True


def completed_left_behind(figures: Figures, previous: Figures | None) -> bool:
    """Lower enrolled without completed, below the completed figure already stored."""
    return (
        figures.completed is None
        and previous is not None
        and previous.completed is not None
        and previous.completed > figures.enrolled
    )


def decreases(previous: Report | None, figures: Figures) -> bool:
    """Tell whether the new figures go below the last report (which needs confirmation)."""
    if previous is None:
        return False
    if figures.enrolled < previous.enrolled:
        return True
    return (
        figures.completed is not None
        and previous.completed is not None
        and figures.completed < previous.completed
    )


async def find_by_update(session: AsyncSession, update_id: int | None) -> Report | None:
    """The report already stored for a Telegram update, if any."""
    if update_id is None:
        return None
    report: Report | None = await session.scalar(
        select(Report).where(Report.source_update_id == update_id)
    )
    return report


async def kept_completed(db: Database, unit_id: int) -> int | None:
    """The completed figure a report giving only the enrolled one would keep."""
    async with db.read() as session:
        completed: int | None = await session.scalar(
            select(UnitProgress.completed).where(UnitProgress.unit_id == unit_id)
        )
        return completed


async def attach_note(session: AsyncSession, report_id: int, note: str, user_id: int) -> bool:
    """Add a difficulties/proposals note to a report the same person made; False if not theirs."""
    report = await session.get(Report, report_id)
    if report is None or report.reporter_user_id != user_id:
        return False
    report.note = note[:MAX_NOTE]
    record_event(session, user_id, "report.note", report_id=report_id)
    return True


@dataclass(frozen=True)
class PeriodFigure:
    """A unit's figure at the end of one period, and whether it reported within it."""

    period: Period
    enrolled: int | None
    reported: bool


@dataclass(frozen=True)
class Current:
    """A unit's newest report, as /tiendo shows it."""

    enrolled: int
    completed: int | None
    reported_at: datetime


@dataclass(frozen=True)
class Progress:
    """What /tiendo shows."""

    unit_name: str
    adults: int | None
    current: Current | None
    history: list[PeriodFigure]

    @property
    def percent(self) -> float | None:
        """Enrolled as a share of adults, when both are known."""
        if self.current is None or not self.adults:
            return None
        return 100.0 * self.current.enrolled / self.adults

    @property
    def change(self) -> int | None:
        """The change between the last two periods, when both have a figure."""
        if len(self.history) < 2:
            return None
        last, before = self.history[-1], self.history[-2]
        if last.enrolled is None or before.enrolled is None:
            return None
        return last.enrolled - before.enrolled


async def unit_progress(
    session: AsyncSession,
    unit_id: int,
    now: datetime,
    tz: ZoneInfo,
    period_kind: str,
    periods: int = 6,
) -> Progress:
    """The unit's current figures and its last `periods` periods, oldest first.

    Periods before the unit's first report are left out: they would only be empty bars.
    """
    unit = await session.get(Unit, unit_id)
    assert unit is not None
    history: list[PeriodFigure] = []
    for period in recent_periods(period_at(now, period_kind, tz), period_kind, periods):
        at_end = await latest_report(session, unit_id, before=period.end(tz))
        if at_end is None and not history:
            continue
        reported = at_end is not None and at_end.reported_at >= period.start(tz)
        history.append(PeriodFigure(period, at_end.enrolled if at_end else None, reported))
    newest = await latest_report(session, unit_id)
    current = Current(newest.enrolled, newest.completed, newest.reported_at) if newest else None
    return Progress(unit.name, unit.adults, current, history)


async def progress_of(
    db: Database, target: Target, now: datetime, tz: ZoneInfo, period_kind: str
) -> Progress:
    """/tiendo: the unit's progress, read in one snapshot."""
    async with db.read() as session:
        return await unit_progress(session, target.unit_id, now, tz, period_kind)
