"""Reading dates as Vietnamese officers type them: 30/04/2026, 30/4/2026, 30-04-2026, 30/4."""

from __future__ import annotations

import re
from datetime import date

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
