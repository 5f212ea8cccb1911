"""Schedule rules: when a schedule fires, and how village life moves it (nights, rest days).

Rules are stored as text ("t2,t5 16:00") and typed by officers in Vietnamese, as they would
say them: "hằng ngày 07:30", "thứ 5 lúc 4 giờ chiều", "8 giờ sáng thứ hai", "16h thứ năm",
"ngày 5 08:00", "01/12/2026 08:00".
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.common.folding import fold

WEEKDAY_WORDS = {
    "t2": 0,
    "thu 2": 0,
    "thu hai": 0,
    "t3": 1,
    "thu 3": 1,
    "thu ba": 1,
    "t4": 2,
    "thu 4": 2,
    "thu tu": 2,
    "t5": 3,
    "thu 5": 3,
    "thu nam": 3,
    "t6": 4,
    "thu 6": 4,
    "thu sau": 4,
    "t7": 5,
    "thu 7": 5,
    "thu bay": 5,
    "cn": 6,
    "chu nhat": 6,
}
TIME = re.compile(r"(\d{1,2})[:h](\d{2})$")
MAX_SEARCH_DAYS = 400


class RuleProblem(enum.StrEnum):
    """Why a typed rule was refused."""

    BAD_TIME = "bad_time"
    BAD_RULE = "bad_rule"
    BAD_DAY = "bad_day"
    NEVER_FIRES = "never_fires"


class RuleError(ValueError):
    """A rule that cannot be read; `reason` says why (the texts layer words it)."""

    def __init__(self, reason: RuleProblem) -> None:
        """Keep the reason."""
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Rule:
    """daily | weekly (weekdays) | monthly (day) | once (on), at a local time."""

    kind: str
    at: time
    weekdays: tuple[int, ...] = ()
    day: int | None = None
    on: date | None = None

    def serialise(self) -> str:
        """The stored form, which `parse_rule` reads back."""
        clock = f"{self.at:%H:%M}"
        if self.kind == "daily":
            return f"hang ngay {clock}"
        if self.kind == "weekly":
            return ",".join(f"t{d + 2}" if d < 6 else "cn" for d in self.weekdays) + f" {clock}"
        if self.kind == "monthly":
            return f"ngay {self.day} {clock}"
        assert self.on is not None
        # Four-digit years always (strftime writes year 1 as "1", which would not read back).
        return f"{self.on.day:02d}/{self.on.month:02d}/{self.on.year:04d} {clock}"


BAD_TIME = RuleProblem.BAD_TIME
BAD_RULE = RuleProblem.BAD_RULE
BAD_DAY = RuleProblem.BAD_DAY


def _clock(text: str) -> time:
    """Read "08:00" or "8h00"."""
    match = TIME.fullmatch(text.strip())
    if match is None:
        raise RuleError(BAD_TIME)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise RuleError(BAD_TIME)
    return time(hour, minute)


# A time of day, anywhere in the (folded) text: "16:00", "9h00", "16h", "16g30", "4 gio",
# "4 gio 30 (phut)", "4 gio ruoi", "5 gio kem 15". Letters right after "h"/"g" mean a word
# ("5 hang thang"), not a time; a "/" next to the digits means a date.
CLOCK = re.compile(
    r"""
    (?<![\d/])(?P<hour>\d{1,2})
    (?:
        \s*:\s*(?P<minute>\d{2})
      | \s*(?:gio|h|g)(?![a-z])
        (?:\s*(?P<minutes>\d{1,2})(?![\d/])(?:\s*(?:phut|p)(?![a-z]))?)?
        (?:\s+(?P<half>ruoi))?
        (?:\s+kem\s*(?P<less>\d{1,2})(?:\s*(?:phut|p)(?![a-z]))?)?
    )
    (?![\d/])
    """,
    re.VERBOSE,
)
PART_OF_DAY = re.compile(r"\b(sang|trua|chieu|toi|dem)\b")
# Words that only connect ("lúc", "vào", "các", "hằng tuần"): dropped before reading the days.
FILLERS = re.compile(r"\b(?:vao luc|luc|vao|cac|hang tuan|moi tuan|hang thang|moi thang)\b")
DAILY = frozenset({"hang ngay", "moi ngay", "hangngay", "daily", "ngay nao cung"})
MONTHLY = re.compile(r"ngay (?:mung |mong )?(\d{1,2})")
ONCE = re.compile(r"(?:ngay )?(\d{1,2})/(\d{1,2})/(\d{4})")
LIST_SEPARATOR = re.compile(r"\s*(?:,|;|\bva\b|&)\s*")


def _in_part_of_day(hour: int, part: str) -> int:
    """Move a 12-hour reading into the day: "4 giờ chiều" is 16:00, "12 giờ đêm" 00:00."""
    if part == "sang" and hour <= 11:
        return hour
    if part == "trua" and (10 <= hour <= 14 or hour in (1, 2)):
        return hour + 12 if hour <= 2 else hour
    if part == "chieu" and 1 <= hour <= 23:
        return hour + 12 if hour < 12 else hour
    if part == "toi" and (5 <= hour <= 11 or 17 <= hour <= 23):
        return hour + 12 if hour <= 11 else hour
    if part == "dem" and (hour <= 4 or 9 <= hour <= 12 or 21 <= hour <= 23):
        if hour == 12:
            return 0
        return hour + 12 if 9 <= hour <= 11 else hour
    raise RuleError(BAD_TIME)


def _read_clock(match: re.Match[str], part: str | None) -> time:
    """The time a CLOCK match names, in the part of the day if one was said."""
    hour = int(match["hour"])
    minute = int(match["minute"] or match["minutes"] or 0)
    if match["half"]:
        minute += 30
    if match["less"]:
        minute -= int(match["less"])
        hour -= 1
        if minute < 0:
            minute += 60
    if part is not None:
        hour = _in_part_of_day(hour, part)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise RuleError(BAD_TIME)
    return time(hour, minute)


def _days(head: str, at: time) -> Rule:
    """Read the day part: every day, a day of the month, a date, or weekdays."""
    if head in DAILY:
        return Rule("daily", at)
    monthly = MONTHLY.fullmatch(head)
    if monthly:
        day = int(monthly[1])
        if not 1 <= day <= 28:
            raise RuleError(BAD_DAY)
        return Rule("monthly", at, day=day)
    once = ONCE.fullmatch(head)
    if once:
        try:
            return Rule("once", at, on=date(int(once[3]), int(once[2]), int(once[1])))
        except ValueError:
            raise RuleError(BAD_RULE) from None
    found = [WEEKDAY_WORDS.get(part.strip()) for part in LIST_SEPARATOR.split(head)]
    days = sorted({d for d in found if d is not None})
    if not days or None in found:
        raise RuleError(BAD_RULE)
    return Rule("weekly", at, weekdays=tuple(days))


def parse_rule(text: str) -> Rule:
    """Read a rule as officers type or say it, or raise RuleError.

    The time and the days may come in either order, with or without diacritics: "thứ 2
    08:00", "t2,t5 16:00", "thứ 5 lúc 4 giờ chiều", "8 giờ sáng thứ hai", "16h thứ năm",
    "hằng ngày 7h30", "ngày 5 hằng tháng lúc 8 giờ", "01/12/2026 08:00".
    """
    folded = " ".join(fold(text).split())
    clocks = list(CLOCK.finditer(folded))
    rest = CLOCK.sub(" ", folded, count=1) if clocks else folded
    parts = PART_OF_DAY.findall(rest)
    if len(parts) > 1:
        raise RuleError(BAD_TIME)
    rest = PART_OF_DAY.sub(" ", FILLERS.sub(" ", rest))
    head = " ".join(rest.split()).strip(" ,;")
    if not clocks:
        # A day with no time reads as a missing time; anything else is not understood.
        try:
            _days(head, time(0))
        except RuleError:
            raise RuleError(BAD_RULE) from None
        raise RuleError(BAD_TIME)
    at = _read_clock(clocks[0], parts[0] if parts else None)
    return _days(head, at)


def _matches(rule: Rule, day: date) -> bool:
    """Whether the rule fires on a local day."""
    if rule.kind == "daily":
        return True
    if rule.kind == "weekly":
        return day.weekday() in rule.weekdays
    if rule.kind == "monthly":
        return day.day == rule.day
    return day == rule.on


def next_fire(rule: Rule, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The first nominal firing strictly after `after` (aware, UTC), or None if none is left."""
    local = after.astimezone(tz)
    for offset in range(MAX_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        if not _matches(rule, day):
            continue
        moment = datetime.combine(day, rule.at, tzinfo=tz)
        if moment > local:
            return moment.astimezone(UTC)
    return None


def check_fires(rule: Rule, now: datetime, tz: ZoneInfo) -> None:
    """Refuse a rule that would never fire: a date already past, or too far to be meant."""
    if next_fire(rule, now, tz) is None:
        raise RuleError(RuleProblem.NEVER_FIRES)


def previous_fire(rule: Rule, before: datetime, tz: ZoneInfo) -> datetime | None:
    """The last nominal firing at or before `before`, within the search window."""
    local = before.astimezone(tz)
    for offset in range(MAX_SEARCH_DAYS):
        day = local.date() - timedelta(days=offset)
        if not _matches(rule, day):
            continue
        moment = datetime.combine(day, rule.at, tzinfo=tz)
        if moment <= local:
            return moment.astimezone(UTC)
    return None


@lru_cache(maxsize=8)
def _holidays(year: int) -> Any:
    """Vietnamese public holidays (Tết, Giỗ Tổ Hùng Vương, 30/4, 1/5, 2/9 …) of a year."""
    import holidays  # loaded when the first schedule is planned, not at import

    return holidays.country_holidays("VN", years=year)


def is_rest_day(day: date, *, sundays: bool, public_holidays: bool) -> bool:
    """Sundays and Vietnamese public holidays, as the settings say."""
    return (sundays and day.weekday() == 6) or (public_holidays and day in _holidays(day.year))


@dataclass(frozen=True)
class VillageHours:
    """When not to send: quiet hours every night, and (for nudges) rest days."""

    quiet_start: time
    quiet_end: time
    rest_on_sundays: bool
    rest_on_holidays: bool

    @classmethod
    def parse(cls, quiet: str, sundays: bool, public_holidays: bool) -> VillageHours:
        """Read "21:00-06:30"."""
        start, end = quiet.split("-")
        return cls(_clock(start), _clock(end), sundays, public_holidays)

    def _quiet(self, moment: time) -> bool:
        """Whether a local time falls in the quiet hours (which may cross midnight)."""
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= moment < self.quiet_end
        return moment >= self.quiet_start or moment < self.quiet_end

    def adjust(self, fire: datetime, tz: ZoneInfo, *, avoid_rest_days: bool) -> datetime:
        """Defer a firing out of quiet hours, and (for nudges) off Sundays and holidays."""
        local = fire.astimezone(tz)
        for _ in range(MAX_SEARCH_DAYS):
            if self._quiet(local.time()):
                end_day = (
                    local.date()
                    if local.time() < self.quiet_end
                    else local.date() + timedelta(days=1)
                )
                local = datetime.combine(end_day, self.quiet_end, tzinfo=tz)
                continue
            if avoid_rest_days and is_rest_day(
                local.date(), sundays=self.rest_on_sundays, public_holidays=self.rest_on_holidays
            ):
                local = local + timedelta(days=1)
                continue
            return local.astimezone(UTC)
        return fire
