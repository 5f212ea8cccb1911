"""Vietnamese formatting and message splitting."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.formatting import (
    escape,
    format_date,
    format_local_datetime,
    format_number,
    format_percent,
    split_for_telegram,
)


def test_numbers_dates_and_percent() -> None:
    assert format_number(1250) == "1.250"
    assert format_number(1_000_000) == "1.000.000"
    assert format_number(7) == "7"
    assert format_percent(38.25) == "38,2%" or format_percent(38.25) == "38,3%"
    assert format_percent(100) == "100,0%"
    assert format_date(date(2026, 11, 24)) == "24/11/2026"
    moment = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)
    assert format_local_datetime(moment, ZoneInfo("Asia/Ho_Chi_Minh")) == "27/11/2026 00:30"
    assert escape("<b>&") == "&lt;b&gt;&amp;"


@given(st.lists(st.text(min_size=0, max_size=300), max_size=40), st.integers(50, 500))
def test_split_respects_limit_and_keeps_text(paragraphs: list[str], limit: int) -> None:
    chunks = split_for_telegram(paragraphs, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == "".join(paragraphs).replace(
        "\n", ""
    ).replace(" ", "")
