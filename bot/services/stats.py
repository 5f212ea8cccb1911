"""Statistics for officers and admins: one row per unit, then commune totals and rankings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.periods import Period, period_at, previous_period
from models import Contact, ContactStatus, Report, Unit, UnitKind

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


def _newest(*conditions: ColumnElement[bool]) -> ScalarSelect[int]:
    """Correlated: the id of the unit's newest report (uses ix_reports_unit_id_reported_at)."""
    return (
        select(Report.id)
        .where(Report.unit_id == Unit.id, *conditions)
        .order_by(Report.reported_at.desc(), Report.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def unit_stats(session: AsyncSession, period: Period, tz: ZoneInfo) -> list[UnitStat]:
    """Every active unit with its latest report and its figure before the period began."""
    start = period.start(tz)
    latest_id = _newest().label("latest_id")
    before_id = _newest(Report.reported_at < start).label("before_id")
    units = (
        select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.adults, latest_id, before_id)
        .where(Unit.active.is_(True))
        .subquery()
    )
    latest = Report.__table__.alias("latest")
    before = Report.__table__.alias("before")
    rows = await session.execute(
        select(
            units.c.id,
            units.c.code,
            units.c.name,
            units.c.kind,
            units.c.adults,
            latest.c.enrolled,
            latest.c.completed,
            latest.c.reported_at,
            latest.c.reporter_name,
            before.c.enrolled,
        )
        .outerjoin(latest, latest.c.id == units.c.latest_id)
        .outerjoin(before, before.c.id == units.c.before_id)
        .order_by(units.c.code)
    )
    stats = []
    for row in rows:
        reported_at = _aware(row[7])
        stats.append(
            UnitStat(
                unit_id=row[0],
                code=row[1],
                name=row[2],
                kind=UnitKind(row[3]),
                adults=row[4],
                enrolled=row[5],
                completed=row[6],
                reported_at=reported_at,
                reporter=row[8],
                previous_enrolled=row[9],
                reported_this_period=reported_at is not None and reported_at >= start,
            )
        )
    return stats


def _aware(value: datetime | None) -> datetime | None:
    """Core queries bypass the UTC type decorator on aliases: attach UTC here."""
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

    @property
    def percent(self) -> float | None:
        """Commune-wide share of adults enrolled (thôn/buôn only)."""
        return 100.0 * self.enrolled / self.adults if self.adults else None


def summarise(stats: list[UnitStat], period: Period, period_kind: str, ranked: int = 5) -> Summary:
    """Totals over thôn/buôn (agencies apart, since their staff also live in a thôn)."""
    homes = [s for s in stats if s.residential]
    agencies = [s for s in stats if not s.residential]
    with_percent = sorted((s for s in homes if s.percent is not None), key=lambda s: s.percent or 0)
    return Summary(
        period=period,
        previous=previous_period(period, period_kind),
        adults=sum(s.adults or 0 for s in homes),
        enrolled=sum(s.enrolled or 0 for s in homes),
        completed=sum(s.completed or 0 for s in homes),
        previous_enrolled=sum(s.previous_enrolled or 0 for s in homes),
        residential_units=len(homes),
        residential_reported=sum(1 for s in homes if s.reported_this_period),
        agency_units=len(agencies),
        agency_reported=sum(1 for s in agencies if s.reported_this_period),
        agency_enrolled=sum(s.enrolled or 0 for s in agencies),
        top=list(reversed(with_percent[-ranked:])),
        bottom=with_percent[:ranked],
    )


async def commune_summary(
    session: AsyncSession, now: datetime, tz: ZoneInfo, period_kind: str
) -> tuple[Summary, list[UnitStat]]:
    """The summary for the current period, and the per-unit rows behind it."""
    period = period_at(now, period_kind, tz)
    stats = await unit_stats(session, period, tz)
    return summarise(stats, period, period_kind), stats


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
        names.setdefault(unit_id, []).append(name or "?")
    return names
