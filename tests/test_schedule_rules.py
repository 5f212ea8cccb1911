"""Schedule rules: reading them, next firings in +07:00, rest days, Tết and quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.schedules.rules import (
    Rule,
    RuleError,
    VillageHours,
    next_fire,
    parse_rule,
    previous_fire,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HOURS = VillageHours(time(21, 0), time(6, 30), rest_on_sundays=True, rest_on_holidays=True)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("hằng ngày 07:30", Rule("daily", time(7, 30))),
        ("thứ 2 08:00", Rule("weekly", time(8, 0), weekdays=(0,))),
        ("T2,t5 16:00", Rule("weekly", time(16, 0), weekdays=(0, 3))),
        ("chủ nhật 9h00", Rule("weekly", time(9, 0), weekdays=(6,))),
        ("ngày 5 08:00", Rule("monthly", time(8, 0), day=5)),
        ("01/12/2026 08:00", Rule("once", time(8, 0), on=date(2026, 12, 1))),
    ],
)
def test_rules_read_and_round_trip(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule
    assert parse_rule(rule.serialise()) == rule


@pytest.mark.parametrize(
    "text", ["", "08:00", "thứ 9 08:00", "ngày 31 08:00", "t2 25:00", "31/02/2026 08:00"]
)
def test_bad_rules_are_refused_in_vietnamese(text: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_rule(text)
    assert refused.value.reason


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=25),
        st.from_regex(r"(t[2-7]|cn|ngày \d{1,2}|hằng ngày) \d{1,2}:\d{2}", fullmatch=True),
    )
)
def test_rule_parser_never_crashes(text: str) -> None:
    try:
        rule = parse_rule(text)
    except RuleError as refused:
        assert refused.reason
        return
    assert parse_rule(rule.serialise()) == rule


def test_next_firing_across_weeks_and_months() -> None:
    monday = parse_rule("t2 08:00")
    assert next_fire(monday, local(2026, 11, 29, 23, 0), TZ) == local(2026, 11, 30, 8, 0)
    assert next_fire(monday, local(2026, 11, 30, 8, 0), TZ) == local(2026, 12, 7, 8, 0)
    assert next_fire(monday, local(2026, 12, 28, 9, 0), TZ) == local(2027, 1, 4, 8, 0)
    fifth = parse_rule("ngày 5 08:00")
    assert next_fire(fifth, local(2026, 11, 26, 9, 0), TZ) == local(2026, 12, 5, 8, 0)
    assert next_fire(fifth, local(2026, 12, 5, 8, 0), TZ) == local(2027, 1, 5, 8, 0)
    assert previous_fire(fifth, local(2026, 12, 5, 8, 0), TZ) == local(2026, 12, 5, 8, 0)
    once = parse_rule("01/12/2026 08:00")
    assert next_fire(once, local(2026, 12, 2, 0, 0), TZ) is None
    # Returned in UTC: Monday 08:00 in Hà Nội is 01:00 UTC.
    assert next_fire(monday, local(2026, 11, 29, 23, 0), TZ).tzinfo == UTC  # type: ignore[union-attr]


def test_sunday_moves_to_monday_for_nudges_only() -> None:
    sunday = local(2026, 11, 29, 8, 0)
    assert HOURS.adjust(sunday, TZ, avoid_rest_days=True) == local(2026, 11, 30, 8, 0)
    assert HOURS.adjust(sunday, TZ, avoid_rest_days=False) == sunday


def test_tet_2027_and_30_4_shift_to_the_next_working_day() -> None:
    # Tết 2027: public holidays from 04/02 to 10/02.
    assert HOURS.adjust(local(2027, 2, 8, 8, 0), TZ, avoid_rest_days=True) == local(
        2027, 2, 11, 8, 0
    )
    # 30/4 and 1/5 are holidays, 2/5 is a Sunday, 3/5 is the observed Labour Day.
    assert HOURS.adjust(local(2027, 4, 30, 16, 0), TZ, avoid_rest_days=True) == local(
        2027, 5, 4, 16, 0
    )


def test_quiet_hours_defer_to_their_end() -> None:
    assert HOURS.adjust(local(2026, 11, 26, 22, 0), TZ, avoid_rest_days=False) == local(
        2026, 11, 27, 6, 30
    )
    assert HOURS.adjust(local(2026, 11, 26, 5, 0), TZ, avoid_rest_days=False) == local(
        2026, 11, 26, 6, 30
    )
    assert HOURS.adjust(local(2026, 11, 26, 6, 30), TZ, avoid_rest_days=False) == local(
        2026, 11, 26, 6, 30
    )
    # Saturday 22:00 defers to Sunday 06:30, and a nudge then moves on to Monday.
    assert HOURS.adjust(local(2026, 11, 28, 22, 0), TZ, avoid_rest_days=True) == local(
        2026, 11, 30, 6, 30
    )
