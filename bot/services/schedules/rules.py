"""Schedule rules: when a schedule fires, and how village life moves it (nights, rest days).

Rules are stored as text and typed by officers in Vietnamese:
"hằng ngày 07:30", "thứ 2 08:00", "t2,t5 16:00", "ngày 5 08:00", "01/12/2026 08:00".
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
        return f"{self.on:%d/%m/%Y} {clock}"


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


def parse_rule(text: str) -> Rule:
    """Read a rule as officers type it, or raise RuleError."""
    words = fold(" ".join(text.split())).split(" ")
    if len(words) < 2:
        raise RuleError(BAD_RULE)
    at = _clock(words[-1])
    head = " ".join(words[:-1]).strip(" ,")
    if head in ("hang ngay", "moi ngay", "daily"):
        return Rule("daily", at)
    if head.startswith("ngay ") and head[5:].strip().isdigit():
        day = int(head[5:].strip())
        if not 1 <= day <= 28:
            raise RuleError(BAD_DAY)
        return Rule("monthly", at, day=day)
    once = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", head)
    if once:
        try:
            return Rule("once", at, on=date(int(once[3]), int(once[2]), int(once[1])))
        except ValueError:
            raise RuleError(BAD_RULE) from None
    found = [WEEKDAY_WORDS.get(part.strip()) for part in head.split(",")]
    days = sorted({d for d in found if d is not None})
    if not days or None in found:
        raise RuleError(BAD_RULE)
    return Rule("weekly", at, weekdays=tuple(days))


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
