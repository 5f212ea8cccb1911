"""Reporting periods in +07:00: weekly Mon–Sun and monthly 15th → 14th (NĐ 09/2019)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.reports.periods import (
    DeadlineRule,
    period_at,
    period_of_day,
    previous_period,
    recent_periods,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_weekly_sunday_2359_and_monday_0000_local() -> None:
    sunday_late = datetime(2026, 11, 29, 23, 59, tzinfo=TZ)
    monday = datetime(2026, 11, 30, 0, 0, tzinfo=TZ)
    assert period_at(sunday_late, "weekly", TZ).key == "2026-W48"
    assert period_at(monday, "weekly", TZ).key == "2026-W49"
    # Monday 00:00 in Hà Nội is still Sunday 17:00 UTC.
    assert period_at(monday.astimezone(UTC), "weekly", TZ).key == "2026-W49"
    assert period_at(sunday_late, "weekly", TZ).label == "23/11–29/11/2026"


def test_monthly_nd09_fifteenth_to_fourteenth() -> None:
    fourteenth = datetime(2026, 12, 14, 23, 59, tzinfo=TZ)
    fifteenth = datetime(2026, 12, 15, 0, 0, tzinfo=TZ)
    assert period_at(fourteenth, "monthly", TZ).key == "2026-12"
    assert period_at(fourteenth, "monthly", TZ).label == "15/11–14/12/2026"
    assert period_at(fifteenth, "monthly", TZ).key == "2027-01"
    assert period_at(fifteenth, "monthly", TZ).label == "15/12/2026–14/01/2027"


def test_previous_and_recent() -> None:
    period = period_of_day(date(2027, 1, 5), "monthly")
    assert period.key == "2027-01"
    assert previous_period(period, "monthly").key == "2026-12"
    assert [
        p.key for p in recent_periods(period_of_day(date(2026, 11, 26), "weekly"), "weekly", 3)
    ] == [
        "2026-W46",
        "2026-W47",
        "2026-W48",
    ]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        period_at(datetime(2026, 1, 1), "weekly", TZ)  # noqa: DTZ001


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.sampled_from(["weekly", "monthly"]),
)
def test_periods_tile_the_calendar(day: date, kind: str) -> None:
    period = period_of_day(day, kind)
    assert period.first_day <= day <= period.last_day
    before = previous_period(period, kind)
    assert (period.first_day - before.last_day).days == 1
    assert before.key < period.key or (kind == "weekly" and before.key[:4] < period.key[:4])


def test_deadlines_follow_the_period_and_the_settings() -> None:
    rule = DeadlineRule(weekday=4, day=14, time="17:00")
    week = period_of_day(date(2026, 11, 24), "weekly")
    assert rule.due(week, "weekly", TZ) == datetime(2026, 11, 27, 17, 0, tzinfo=TZ)
    month = period_of_day(date(2026, 11, 20), "monthly")
    assert rule.due(month, "monthly", TZ) == datetime(2026, 12, 14, 17, 0, tzinfo=TZ)
    sunday_noon = DeadlineRule(weekday=6, day=10, time="12:30")
    assert sunday_noon.due(week, "weekly", TZ) == datetime(2026, 11, 29, 12, 30, tzinfo=TZ)
