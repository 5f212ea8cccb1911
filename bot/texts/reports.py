"""How reports read: refusals, the echo after recording, the decrease question and /tiendo."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.services.reports.numbers import Figure, NumberRefusal, Refusal
from bot.services.reports.reports import Echo, Figures, Progress, Refused
from bot.texts.catalog import N_, Html, Translator
from bot.texts.directives import change_phrase

BAR_WIDTH = 10

NUMBER_REFUSALS = {
    Refusal.EMPTY: N_("number.empty"),
    Refusal.NEGATIVE: N_("number.negative"),
    Refusal.DECIMAL: N_("number.decimal"),
    Refusal.RANGE: N_("number.range"),
    Refusal.PERCENT: N_("number.percent"),
    Refusal.NOT_A_NUMBER: N_("number.not_a_number"),
    Refusal.TOO_MANY: N_("number.too_many"),
    Refusal.ABOVE_ADULTS: N_("number.above_adults"),
    Refusal.ABOVE_LIMIT: N_("number.above_limit"),
    Refusal.COMPLETED_ABOVE_ENROLLED: N_("number.completed_above_enrolled"),
}
FIGURE_NAMES = {
    Figure.ENROLLED: N_("figure.enrolled"),
    Figure.COMPLETED: N_("figure.completed"),
}
REPORT_REFUSALS = {
    Refused.NOT_A_REPORTER: N_("report.not_a_reporter"),
    Refused.OTHER_UNIT: N_("report.other_unit"),
    Refused.STAFF_NEEDS_UNIT: N_("report.staff_needs_unit"),
    Refused.UNKNOWN_UNIT: N_("report.unknown_unit"),
}


def number_refusal(t: Translator, refusal: NumberRefusal) -> Html:
    """Why a figure was refused, in one short sentence."""
    values = dict(refusal.values)
    figure = values.pop("figure", None)
    if isinstance(figure, Figure):
        values["figure"] = t.plain(FIGURE_NAMES[figure])
    return t(NUMBER_REFUSALS[refusal.reason], **values)


def report_refusal(t: Translator, refused: Refused) -> Html:
    """Why the sender may not report for that unit."""
    return t(REPORT_REFUSALS[refused])


def echo_text(t: Translator, echo: Echo, *, on_behalf: bool) -> Html:
    """The reply after recording: it repeats exactly what was stored."""
    change = (
        t("report.echo.change", change=change_phrase(t, echo.change))
        if echo.change is not None
        else Html("")
    )
    completed = Html("")
    if echo.completed is not None:
        key = (
            N_("report.echo.completed_kept")
            if echo.completed_carried
            else N_("report.echo.completed")
        )
        completed = t(key, completed=echo.completed)
    percent = (
        t("report.echo.percent", percent=t.percent(echo.percent))
        if echo.percent is not None
        else Html("")
    )
    key = N_("report.echo.correction") if echo.is_correction else N_("report.echo.recorded")
    text = t(
        key,
        unit=echo.unit_name,
        enrolled=echo.enrolled,
        change=change,
        completed=completed,
        percent=percent,
        period=echo.period.label,
    )
    return Html(text + t("report.echo.on_behalf")) if on_behalf else text


def decrease_question(t: Translator, previous: Figures, new: Figures) -> Html:
    """Ask before storing figures lower than the last report."""
    completed = Html("")
    if previous.completed is not None and new.completed is not None:
        completed = t("report.decrease.completed", old=previous.completed, new=new.completed)
    elif previous.completed is not None:
        completed = t("report.decrease.completed_kept", completed=previous.completed)
    return t(
        "report.decrease",
        old=previous.enrolled,
        new=new.enrolled,
        completed=completed,
    )


def _history_rows(t: Translator, progress: Progress) -> list[str]:
    """One bar per period: ▇ filled in proportion to adults (or to the best period)."""
    scale = progress.adults or max((h.enrolled or 0) for h in progress.history) or 1
    rows = []
    for item in progress.history:
        filled = min(BAR_WIDTH, round(BAR_WIDTH * (item.enrolled or 0) / scale))
        bar = "▇" * filled + "░" * (BAR_WIDTH - filled)
        shown = t.number(item.enrolled) if item.enrolled is not None else "—"
        mark = "✓" if item.reported else "–"
        rows.append(f"{item.period.first_day:%d/%m} {bar} {shown} {mark}")
    return rows


def progress_text(t: Translator, progress: Progress, tz: ZoneInfo) -> Html:
    """The /tiendo answer."""
    current = progress.current
    assert current is not None
    lines = [
        t("progress.title", unit=progress.unit_name),
        t("progress.enrolled", enrolled=current.enrolled),
    ]
    if progress.adults and progress.percent is not None:
        lines[-1] = Html(
            lines[-1]
            + t("progress.of_adults", adults=progress.adults, percent=t.percent(progress.percent))
        )
    if current.completed is not None:
        lines.append(t("progress.completed", completed=current.completed))
    if progress.change is not None:
        lines.append(t("progress.change", change=change_phrase(t, progress.change)))
    lines.append(t("progress.last_report", when=t.datetime(current.reported_at, tz)))
    lines.append(
        t(
            "progress.history",
            count=len(progress.history),
            rows="\n".join(_history_rows(t, progress)),
        )
    )
    return Html("\n".join(lines))
