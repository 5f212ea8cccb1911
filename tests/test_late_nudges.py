"""Reminders and chases queued after the deadline say that it has passed (issue 24)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.services.broadcasts.chase import chase_content, nudge_params
from bot.services.broadcasts.content import DirectiveContent
from bot.services.reports.periods import Period
from bot.texts import translator
from bot.texts.directives import render_directive

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VI = translator("vi")
WEEK = Period("2026-W49", date(2026, 11, 30), date(2026, 12, 6))
FRIDAY_5PM = datetime(2026, 12, 4, 17, 0, tzinfo=TZ)


def _text(content: DirectiveContent) -> str:
    return render_directive(content, VI, "Ea Knốp", "https://x", unit="Thôn 1").parts[0]


def test_a_reminder_before_the_deadline_names_it_and_one_after_says_it_passed() -> None:
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
    sunday = datetime(2026, 12, 6, 8, 0, tzinfo=TZ)
    assert "passed" not in nudge_params(WEEK, FRIDAY_5PM, monday)
    assert nudge_params(WEEK, FRIDAY_5PM, sunday)["passed"] == "1"

    def reminder(now: datetime) -> DirectiveContent:
        return DirectiveContent(
            kind="reminder",
            subject="",
            body="",
            body_key="message.reminder",
            body_params=nudge_params(WEEK, FRIDAY_5PM, now),
        )

    before, after = _text(reminder(monday)), _text(reminder(sunday))
    assert "17:00 Thứ Sáu 04/12" in before and "đã qua" not in before
    assert "17:00 Thứ Sáu 04/12" in after and "đã qua" in after


def test_a_chase_after_the_deadline_says_it_passed() -> None:
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=TZ)
    assert "đã qua" in _text(chase_content(WEEK, FRIDAY_5PM, saturday))
    assert "đã qua" not in _text(chase_content(WEEK, FRIDAY_5PM, FRIDAY_5PM.replace(hour=9)))
