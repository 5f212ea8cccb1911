"""Schedule rules: reading them, next firings in +07:00, rest days, Tết and quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.common.folding import fold
from bot.services.schedules.rules import (
    Rule,
    RuleError,
    RuleProblem,
    VillageHours,
    check_fires,
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


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("thứ 5 lúc 4 giờ chiều", Rule("weekly", time(16, 0), weekdays=(3,))),
        ("thu 5 luc 4 gio chieu", Rule("weekly", time(16, 0), weekdays=(3,))),
        ("8 giờ sáng thứ hai", Rule("weekly", time(8, 0), weekdays=(0,))),
        ("8 gio sang thu hai", Rule("weekly", time(8, 0), weekdays=(0,))),
        ("16h thứ năm", Rule("weekly", time(16, 0), weekdays=(3,))),
        ("16h thu nam", Rule("weekly", time(16, 0), weekdays=(3,))),
        ("Thứ Hai và Thứ Năm lúc 16 giờ 30", Rule("weekly", time(16, 30), weekdays=(0, 3))),
        ("4 giờ rưỡi chiều thứ sáu", Rule("weekly", time(16, 30), weekdays=(4,))),
        ("5 giờ kém 15 chiều t6", Rule("weekly", time(16, 45), weekdays=(4,))),
        ("7 giờ tối chủ nhật", Rule("weekly", time(19, 0), weekdays=(6,))),
        ("12 giờ trưa t7", Rule("weekly", time(12, 0), weekdays=(5,))),
        ("hằng ngày lúc 7h30 sáng", Rule("daily", time(7, 30))),
        ("ngày 5 hằng tháng lúc 8 giờ", Rule("monthly", time(8, 0), day=5)),
        ("ngày mùng 5 lúc 8g", Rule("monthly", time(8, 0), day=5)),
        ("8 giờ ngày 01/12/2026", Rule("once", time(8, 0), on=date(2026, 12, 1))),
    ],
)
def test_natural_vietnamese_times(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule
    assert parse_rule(rule.serialise()) == rule


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("16 giờ sáng thứ 2", RuleProblem.BAD_TIME),
        ("thứ 2", RuleProblem.BAD_TIME),
        ("4 giờ chiều", RuleProblem.BAD_RULE),
        ("4 giờ sáng chiều thứ 2", RuleProblem.BAD_TIME),
        ("thứ 2 lúc 4 giờ 75", RuleProblem.BAD_TIME),
    ],
)
def test_unclear_natural_times_are_refused(text: str, reason: RuleProblem) -> None:
    with pytest.raises(RuleError) as refused:
        parse_rule(text)
    assert refused.value.reason == reason


WEEKDAY_FORMS = {
    0: ["thứ hai", "thứ 2", "t2"],
    1: ["thứ ba", "thứ 3", "t3"],
    2: ["thứ tư", "thứ 4", "t4"],
    3: ["thứ năm", "thứ 5", "t5"],
    4: ["thứ sáu", "thứ 6", "t6"],
    5: ["thứ bảy", "thứ 7", "t7"],
    6: ["chủ nhật", "cn"],
}


def _spoken(hour: int) -> tuple[int, str]:
    """How a 24-hour hour is said with a part of the day."""
    if hour == 0:
        return 12, "đêm"
    if hour <= 11:
        return hour, "sáng"
    if hour == 12:
        return 12, "trưa"
    if hour <= 17:
        return hour - 12, "chiều"
    if hour <= 22:
        return hour - 12, "tối"
    return 11, "đêm"


@st.composite
def spoken_rules(draw: st.DrawFn) -> tuple[str, Rule]:
    """A weekly rule as an officer might type it, and the rule it means."""
    day = draw(st.integers(0, 6))
    hour = draw(st.integers(0, 23))
    minute = draw(st.sampled_from([0, 15, 30, 45, draw(st.integers(0, 59))]))
    twelve, part = _spoken(hour)
    clocks = [f"{hour:02d}:{minute:02d}", f"{hour}h{minute:02d}", f"{hour} giờ {minute} phút"]
    clocks.append(f"{twelve} giờ {minute} {part}" if minute else f"{twelve} giờ {part}")
    if minute == 0:
        clocks += [f"{hour}h", f"{hour} giờ", f"{twelve}h {part}"]
    if minute == 30:
        clocks.append(f"{twelve} giờ rưỡi {part}")
    clock = draw(st.sampled_from(clocks))
    weekday = draw(st.sampled_from(WEEKDAY_FORMS[day]))
    joiner = draw(st.sampled_from([" ", " lúc ", " vào lúc ", ", "]))
    text = (
        f"{weekday}{joiner}{clock}"
        if draw(st.booleans())
        else f"{clock} {draw(st.sampled_from(['', 'vào ']))}{weekday}"
    )
    if draw(st.booleans()):
        text = fold(text)  # typed without diacritics
    if draw(st.booleans()):
        text = text.upper() if draw(st.booleans()) else text.title()
    return text, Rule("weekly", time(hour, minute), weekdays=(day,))


@settings(max_examples=2_000, deadline=None)
@given(spoken_rules())
def test_spoken_weekly_rules_read_back(case: tuple[str, Rule]) -> None:
    text, rule = case
    assert parse_rule(text) == rule
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


@given(st.dates(), st.times().map(lambda t: t.replace(second=0, microsecond=0)))
def test_every_date_reads_back_from_its_stored_form(on: date, at: time) -> None:
    rule = Rule("once", at, on=on)
    assert parse_rule(rule.serialise()) == rule


@pytest.mark.parametrize(
    ("rule", "fires"),
    [
        (Rule("once", time(8, 0), on=date(2026, 12, 13)), True),
        (Rule("once", time(8, 0), on=date(2026, 12, 1)), False),  # past
        (Rule("once", time(8, 0), on=date(9999, 12, 31)), False),  # never meant
        (Rule("once", time(8, 0), on=date(1, 1, 1)), False),
        (Rule("weekly", time(8, 0), weekdays=(0,)), True),
    ],
)
def test_a_rule_that_never_fires_is_refused(rule: Rule, fires: bool) -> None:
    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    if fires:
        check_fires(rule, now, tz)
    else:
        with pytest.raises(RuleError) as refused:
            check_fires(rule, now, tz)
        assert refused.value.reason is RuleProblem.NEVER_FIRES
