"""Enrolment reports: who may report, validation, decreases, idempotency, echo and progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.audit import record_event
from bot.services.contacts import Identity
from bot.services.numbers import NumberRefusal, check_range
from bot.services.periods import Period, period_at, recent_periods
from bot.services.units import find_unit
from models import Report, Role, Unit

NOT_A_REPORTER = "Bạn chưa thuộc đơn vị nào nên chưa thể báo cáo. Hãy đăng ký bằng link mời."
OTHER_UNIT = "Bạn chỉ báo cáo được cho đơn vị của mình."
STAFF_NEEDS_UNIT = (
    "Cán bộ báo cáo thay đơn vị: /baocao &lt;mã đơn vị&gt; &lt;số đăng ký&gt; [số hoàn thành]"
)
UNKNOWN_UNIT = "Không tìm thấy đơn vị có mã này."
COMPLETED_ABOVE_ENROLLED = (
    "Số hoàn thành ({completed}) không thể lớn hơn số đăng ký học ({enrolled})."
)


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


class ReportRefused(Exception):
    """The sender may not report for that unit; `reason` is shown to them."""

    def __init__(self, reason: str) -> None:
        """Keep the Vietnamese reason."""
        super().__init__(reason)
        self.reason = reason


def _target(unit: Unit, on_behalf: bool) -> Target:
    """Snapshot what the conversation needs of a unit."""
    return Target(unit.id, unit.name, unit.adults, on_behalf)


async def resolve_target(
    session: AsyncSession, identity: Identity, unit_code: str | None
) -> Target:
    """Decide which unit the sender reports for, or raise ReportRefused."""
    if identity.role is None:
        raise ReportRefused(NOT_A_REPORTER)
    if unit_code is not None:
        unit = await find_unit(session, unit_code)
        if unit is None or not unit.active:
            raise ReportRefused(UNKNOWN_UNIT)
        if identity.role in (Role.OFFICER, Role.ADMIN):
            return _target(unit, on_behalf=unit.id != identity.unit_id)
        if unit.id != identity.unit_id:
            raise ReportRefused(OTHER_UNIT)
        return _target(unit, on_behalf=False)
    if identity.unit_id is None or identity.unit_name is None:
        staff = identity.role in (Role.OFFICER, Role.ADMIN)
        raise ReportRefused(STAFF_NEEDS_UNIT if staff else NOT_A_REPORTER)
    # The gate already loaded the sender's unit: no second query on the hot path.
    return Target(identity.unit_id, identity.unit_name, identity.unit_adults, on_behalf=False)


def validate_figures(figures: Figures, adults: int | None) -> None:
    """Refuse figures above the unit's adults, and completed above enrolled."""
    check_range(figures.enrolled, adults, what="đăng ký học")
    if figures.completed is not None:
        check_range(figures.completed, adults, what="hoàn thành")
        if figures.completed > figures.enrolled:
            raise NumberRefusal(
                COMPLETED_ABOVE_ENROLLED.format(
                    completed=figures.completed, enrolled=figures.enrolled
                )
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


async def attach_note(session: AsyncSession, report_id: int, note: str, user_id: int) -> bool:
    """Add a difficulties/proposals note to a report the same person made; False if not theirs."""
    report = await session.get(Report, report_id)
    if report is None or report.reporter_user_id != user_id:
        return False
    report.note = note[:500]
    record_event(session, user_id, "report.note", report_id=report_id)
    return True


@dataclass(frozen=True)
class PeriodFigure:
    """A unit's figure at the end of one period, and whether it reported within it."""

    period: Period
    enrolled: int | None
    reported: bool


@dataclass(frozen=True)
class Progress:
    """What /tiendo shows."""

    unit_name: str
    adults: int | None
    current: Report | None
    history: list[PeriodFigure]


async def unit_progress(
    session: AsyncSession,
    unit_id: int,
    now: datetime,
    tz: ZoneInfo,
    period_kind: str,
    periods: int = 6,
) -> Progress:
    """The unit's current figures and its last `periods` periods, oldest first."""
    unit = await session.get(Unit, unit_id)
    assert unit is not None
    history = []
    for period in recent_periods(period_at(now, period_kind, tz), period_kind, periods):
        at_end = await latest_report(session, unit_id, before=period.end(tz))
        reported = at_end is not None and at_end.reported_at >= period.start(tz)
        history.append(PeriodFigure(period, at_end.enrolled if at_end else None, reported))
    return Progress(unit.name, unit.adults, await latest_report(session, unit_id), history)
