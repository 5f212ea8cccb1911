"""Reporting periods: weekly (Mon–Sun) or monthly per NĐ 09/2019 (15th → 14th), in local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.settings import Settings

WEEKLY = "weekly"
MONTHLY = "monthly"
# NĐ 09/2019/NĐ-CP: a monthly report covers the 15th of the previous month to the 14th.
MONTHLY_CUTOFF_DAY = 15


@dataclass(frozen=True)
class Period:
    """A reporting period [first_day, last_day] with a stable storage key."""

    key: str
    first_day: date
    last_day: date

    @property
    def label(self) -> str:
        """Render "24/11–30/11/2026", the year shown once when both ends share it."""
        if self.first_day.year == self.last_day.year:
            return f"{self.first_day:%d/%m}–{self.last_day:%d/%m/%Y}"
        return f"{self.first_day:%d/%m/%Y}–{self.last_day:%d/%m/%Y}"

    def start(self, tz: ZoneInfo) -> datetime:
        """The first instant of the period, aware."""
        return datetime.combine(self.first_day, time(0), tzinfo=tz)

    def end(self, tz: ZoneInfo) -> datetime:
        """The first instant after the period, aware."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=tz)


def _add_months(day: date, months: int) -> date:
    """Shift a date by whole months (day kept; only used with day 15)."""
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def period_of_day(day: date, kind: str) -> Period:
    """The period containing a local calendar day."""
    if kind == WEEKLY:
        monday = day - timedelta(days=day.weekday())
        year, week, _ = monday.isocalendar()
        return Period(f"{year}-W{week:02d}", monday, monday + timedelta(days=6))
    if kind != MONTHLY:
        raise ValueError(f"unknown period kind {kind!r}")
    anchor = day.replace(day=MONTHLY_CUTOFF_DAY)
    start = anchor if day.day >= MONTHLY_CUTOFF_DAY else _add_months(anchor, -1)
    reporting_month = _add_months(start, 1)
    last_day = reporting_month.replace(day=MONTHLY_CUTOFF_DAY - 1)
    return Period(f"{reporting_month:%Y-%m}", start, last_day)


def period_at(moment: datetime, kind: str, tz: ZoneInfo) -> Period:
    """The period containing an aware instant, judged in the commune's time zone."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return period_of_day(moment.astimezone(tz).date(), kind)


def previous_period(period: Period, kind: str) -> Period:
    """The period just before."""
    return period_of_day(period.first_day - timedelta(days=1), kind)


def recent_periods(period: Period, kind: str, count: int) -> list[Period]:
    """The last `count` periods, oldest first, ending with `period`."""
    periods = [period]
    while len(periods) < count:
        periods.append(previous_period(periods[-1], kind))
    return list(reversed(periods))


@dataclass(frozen=True)
class DeadlineRule:
    """When a period's report is due: a weekday (weekly) or a day of the month, at a time."""

    weekday: int
    day: int
    time: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DeadlineRule:
        """The REPORT_DEADLINE_* settings."""
        return cls(
            settings.report_deadline_weekday,
            settings.report_deadline_day,
            settings.report_deadline_time,
        )

    def due(self, period: Period, kind: str, tz: ZoneInfo) -> datetime:
        """The deadline of `period`, aware, in the commune's zone.

        Weekly: that weekday of the period's week. Monthly: that day of the reporting month
        (the month holding the NĐ 09/2019 cut-off on the 14th).
        """
        hour, minute = (int(part) for part in self.time.split(":"))
        if kind == WEEKLY:
            day = period.first_day + timedelta(days=self.weekday)
        else:
            day = period.last_day.replace(day=self.day)
        return datetime.combine(day, time(hour, minute), tzinfo=tz)


def current_deadline(settings: Settings, now: datetime) -> datetime:
    """When the report of the period holding `now` is due, in the commune's zone."""
    period = period_at(now, settings.report_period, settings.tz)
    return DeadlineRule.from_settings(settings).due(period, settings.report_period, settings.tz)
