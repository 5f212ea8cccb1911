"""Reading dates as Vietnamese officers type them (30/04/2026, 30/4) or say them (thứ 6)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.services.common.folding import fold

DATE_PATTERN = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\s*$")


def parse_vn_date(text: str, today: date) -> date | None:
    """Return the date, or None if the text is not a valid dd/mm[/yyyy] date."""
    match = DATE_PATTERN.match(text)
    if match is None:
        return None
    day, month, year_text = match.groups()
    year = today.year if year_text is None else int(year_text)
    if year < 100:
        year += 2000
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


def split_number_and_date(text: str, today: date) -> tuple[str, date | None]:
    """Split "310/UBND-VHXH 20/04/2026" into the number and its date (if the last word is one)."""
    words = text.split()
    if len(words) >= 2:
        issued = parse_vn_date(words[-1], today)
        if issued is not None:
            # "310/UBND-VHXH ngày 20/04/2026": the word for "dated" is not part of the number.
            return " ".join(w for w in words[:-1] if fold(w) != "ngay"), issued
    return text.strip(), None


# Weekdays as officers say them ("thứ 6", "t6", "thứ sáu", "chủ nhật"), folded: Monday is 0.
WEEKDAY_WORDS = {
    "thu 2": 0, "thu hai": 0, "t2": 0,
    "thu 3": 1, "thu ba": 1, "t3": 1,
    "thu 4": 2, "thu tu": 2, "t4": 2,
    "thu 5": 3, "thu nam": 3, "t5": 3,
    "thu 6": 4, "thu sau": 4, "t6": 4,
    "thu 7": 5, "thu bay": 5, "t7": 5,
    "chu nhat": 6, "cn": 6,
}  # fmt: skip
NEXT_WEEK = ("tuan sau", "tuan toi")
RELATIVE_DAYS = {"hom nay": 0, "ngay mai": 1, "mai": 1, "ngay kia": 2, "mot": 2}
IN_DAYS = re.compile(r"^(?:sau )?(\d{1,3}) ngay(?: nua| toi)?$")


def _weekday(words: str, today: date) -> date | None:
    """A weekday: the next one, today included, or that day of next week ("tuần sau")."""
    next_week = any(words.endswith(" " + phrase) for phrase in NEXT_WEEK)
    for phrase in NEXT_WEEK:
        words = words.removesuffix(" " + phrase)
    weekday = WEEKDAY_WORDS.get(words.strip())
    if weekday is None:
        return None
    if next_week:
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday + timedelta(days=weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def parse_deadline(text: str, today: date) -> date | None:
    """A deadline typed as a date (30/04/2026, 30/4) or as said; None when it is neither.

    Said: "thứ 6 tuần sau", "thứ 6", "ngày mai", "cuối tuần", "cuối tháng", "5 ngày nữa".
    """
    found = parse_vn_date(text, today)
    if found is not None:
        return found
    words = " ".join(fold(text).replace(",", " ").split()).removeprefix("han ").strip()
    if words in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[words])
    if words == "cuoi tuan":
        return today + timedelta(days=6 - today.weekday())
    if words == "cuoi thang":
        next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return next_month - timedelta(days=1)
    in_days = IN_DAYS.match(words)
    if in_days is not None:
        return today + timedelta(days=int(in_days.group(1)))
    return _weekday(words, today)
