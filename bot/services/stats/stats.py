"""Statistics for officers and admins: one row per unit, then commune totals and rankings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports.periods import Period, period_at, previous_period
from bot.services.threads.threads import count_flags, count_open
from models import Contact, ContactStatus, Unit, UnitKind, UnitProgress
from models.db import Database

RESIDENTIAL = (UnitKind.THON, UnitKind.BUON, UnitKind.TO_DAN_PHO)


@dataclass(frozen=True)
class UnitStat:
    """A unit's current figures, its figure before this period, and its last report."""

    unit_id: int
    code: str
    name: str
    kind: UnitKind
    adults: int | None
    enrolled: int | None
    completed: int | None
    reported_at: datetime | None
    reporter: str | None
    previous_enrolled: int | None
    reported_this_period: bool

    @property
    def percent(self) -> float | None:
        """Enrolled as a share of adults, when both are known."""
        if self.enrolled is None or not self.adults:
            return None
        return 100.0 * self.enrolled / self.adults

    @property
    def residential(self) -> bool:
        """Thôn, buôn and tổ dân phố count residents; agencies count staff."""
        return self.kind in RESIDENTIAL


def before_period(key: str) -> ColumnElement[int | None]:
    """The figure that stood when the current period began."""
    return case(
        (UnitProgress.period_key == key, UnitProgress.before_enrolled),
        else_=UnitProgress.enrolled,
    )


def _stat_query(period: Period) -> Select[Any]:
    """Each active unit with its current figures (unit_progress, one row per unit)."""
    return (
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            Unit.kind,
            Unit.adults,
            UnitProgress.enrolled,
            UnitProgress.completed,
            UnitProgress.reported_at,
            UnitProgress.reporter_name,
            before_period(period.key),
            UnitProgress.period_key,
        )
        .outerjoin(UnitProgress, UnitProgress.unit_id == Unit.id)
        .where(Unit.active.is_(True))
    )


def _to_stat(row: Row[Any], period: Period) -> UnitStat:
    """One result row of `_stat_query` as a UnitStat."""
    return UnitStat(
        unit_id=row[0],
        code=row[1],
        name=row[2],
        kind=UnitKind(row[3]),
        adults=row[4],
        enrolled=row[5],
        completed=row[6],
        reported_at=_aware(row[7]),
        reporter=row[8],
        previous_enrolled=row[9],
        reported_this_period=row[10] == period.key,
    )


async def unit_stats(session: AsyncSession, period: Period, tz: ZoneInfo) -> list[UnitStat]:
    """Every active unit with its current figures, by code."""
    rows = await session.execute(_stat_query(period).order_by(Unit.code))
    return [_to_stat(row, period) for row in rows]


def _aware(value: datetime | None) -> datetime | None:
    """Attach UTC to timestamps read through plain column expressions."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Summary:
    """What /thongke shows."""

    period: Period
    previous: Period
    adults: int
    enrolled: int
    completed: int
    previous_enrolled: int
    residential_units: int
    residential_reported: int
    agency_units: int
    agency_reported: int
    agency_enrolled: int
    top: list[UnitStat]
    bottom: list[UnitStat]
    # Threads (notes, photos, answers of units) waiting for an officer.
    open_threads: int = 0
    # Posts heads reported as bad information this period, and how many were handled.
    flags: int = 0
    flags_handled: int = 0

    @property
    def percent(self) -> float | None:
        """Commune-wide share of adults enrolled (thôn/buôn only)."""
        return 100.0 * self.enrolled / self.adults if self.adults else None


def _residential() -> ColumnElement[bool]:
    """Thôn, buôn and tổ dân phố."""
    return Unit.kind.in_(RESIDENTIAL)


async def _totals(session: AsyncSession, key: str) -> dict[bool, tuple[int, ...]]:
    """Per group (residential or not): units, adults, enrolled, completed, before, reported."""
    residential = _residential().label("residential")
    rows = await session.execute(
        select(
            residential,
            func.count(),
            func.coalesce(func.sum(Unit.adults), 0),
            func.coalesce(func.sum(UnitProgress.enrolled), 0),
            func.coalesce(func.sum(UnitProgress.completed), 0),
            func.coalesce(func.sum(before_period(key)), 0),
            func.coalesce(func.sum(case((UnitProgress.period_key == key, 1), else_=0)), 0),
        )
        .outerjoin(UnitProgress, UnitProgress.unit_id == Unit.id)
        .where(Unit.active.is_(True))
        .group_by(residential)
    )
    return {bool(row[0]): tuple(int(v) for v in row[1:]) for row in rows}


async def _ranked(
    session: AsyncSession, period: Period, *, best: bool, limit: int
) -> list[UnitStat]:
    """The thôn/buôn with the highest (or lowest) share of adults enrolled."""
    share = UnitProgress.enrolled * 1.0 / Unit.adults
    rows = await session.execute(
        _stat_query(period)
        .where(_residential(), Unit.adults > 0, UnitProgress.enrolled.is_not(None))
        .order_by(share.desc() if best else share.asc(), Unit.code)
        .limit(limit)
    )
    return [_to_stat(row, period) for row in rows]


async def commune_summary(
    session: AsyncSession, now: datetime, tz: ZoneInfo, period_kind: str, ranked: int = 5
) -> Summary:
    """Totals over thôn/buôn (agencies apart, since their staff also live in a thôn).

    Computed in SQL over unit_progress, so it stays fast for a whole province.
    """
    period = period_at(now, period_kind, tz)
    totals = await _totals(session, period.key)
    empty = (0, 0, 0, 0, 0, 0)
    units, adults, enrolled, completed, before, reported = totals.get(True, empty)
    agency_units, _, agency_enrolled, _, _, agency_reported = totals.get(False, empty)
    flags, flags_handled = await count_flags(session, period.start(tz))
    return Summary(
        period=period,
        previous=previous_period(period, period_kind),
        adults=adults,
        enrolled=enrolled,
        completed=completed,
        previous_enrolled=before,
        residential_units=units,
        residential_reported=reported,
        agency_units=agency_units,
        agency_reported=agency_reported,
        agency_enrolled=agency_enrolled,
        top=await _ranked(session, period, best=True, limit=ranked),
        bottom=await _ranked(session, period, best=False, limit=ranked),
        open_threads=await count_open(session),
        flags=flags,
        flags_handled=flags_handled,
    )


def chart_bars(stats: list[UnitStat]) -> list[tuple[str, float | None]]:
    """Every thôn/buôn whose adults are known with its share; None for one never reported.

    A unit that never reported is not a unit at 0 %: the chart says "chưa báo cáo" for it.
    """
    return [
        (s.name, None if s.enrolled is None else s.percent or 0.0)
        for s in stats
        if s.residential and s.adults
    ]


def late_units(stats: list[UnitStat]) -> list[UnitStat]:
    """Units with no report in the current period."""
    return [s for s in stats if not s.reported_this_period]


async def contact_names(session: AsyncSession, unit_ids: list[int]) -> dict[int, list[str]]:
    """The active contacts' names of each unit."""
    rows = await session.execute(
        select(Contact.unit_id, Contact.display_name)
        .where(Contact.unit_id.in_(unit_ids), Contact.status == ContactStatus.ACTIVE)
        .order_by(Contact.id)
    )
    names: dict[int, list[str]] = {}
    for unit_id, name in rows:
        names.setdefault(unit_id, []).append(name or "—")
    return names


async def summary_and_units(
    session: AsyncSession, now: datetime, tz: ZoneInfo, period_kind: str
) -> tuple[Summary, list[UnitStat]]:
    """The summary and the per-unit rows, for screens and exports that show both."""
    summary = await commune_summary(session, now, tz, period_kind)
    return summary, await unit_stats(session, summary.period, tz)


async def overview(
    db: Database, now: datetime, tz: ZoneInfo, period_kind: str
) -> tuple[Summary, list[UnitStat]]:
    """/thongke: the summary and the per-unit rows, read in one snapshot."""
    async with db.read() as session:
        return await summary_and_units(session, now, tz, period_kind)


@dataclass(frozen=True)
class LateContact:
    """Someone registered for a late unit, to be mentioned by their Telegram id."""

    user_id: int
    name: str


async def late_contacts(session: AsyncSession, unit_ids: list[int]) -> dict[int, list[LateContact]]:
    """The active contacts of each unit, first registered first."""
    rows = await session.execute(
        select(Contact.unit_id, Contact.telegram_user_id, Contact.display_name)
        .where(Contact.unit_id.in_(unit_ids), Contact.status == ContactStatus.ACTIVE)
        .order_by(Contact.id)
    )
    found: dict[int, list[LateContact]] = {}
    for unit_id, user_id, name in rows:
        found.setdefault(unit_id, []).append(LateContact(user_id, name or ""))
    return found


@dataclass(frozen=True)
class LateUnit:
    """A unit with no report this period, and the people registered for it."""

    stat: UnitStat
    contacts: list[LateContact]


@dataclass(frozen=True)
class LateList:
    """/chuabaocao: the period, how many units there are, and the late ones."""

    period: Period
    units: int
    late: list[LateUnit]

    @property
    def reachable(self) -> list[LateUnit]:
        """Late units with someone registered: the ones a chase reaches."""
        return [unit for unit in self.late if unit.contacts]

    @property
    def unregistered(self) -> list[LateUnit]:
        """Late units with nobody to reach (none registered, or all blocked the bot): invite."""
        return [unit for unit in self.late if not unit.contacts]

    @property
    def people(self) -> int:
        """How many people a chase of the late units reaches."""
        return sum(len(unit.contacts) for unit in self.late)


async def late_list(db: Database, now: datetime, tz: ZoneInfo, period_kind: str) -> LateList:
    """The units with no report this period, with their contacts, in one snapshot."""
    async with db.read() as session:
        summary, stats = await summary_and_units(session, now, tz, period_kind)
        late = late_units(stats)
        contacts = await late_contacts(session, [s.unit_id for s in late])
    return LateList(
        summary.period, len(stats), [LateUnit(s, contacts.get(s.unit_id, [])) for s in late]
    )
