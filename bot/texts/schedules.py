"""How schedules read in /lich and `binhdan schedules list`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.services.schedules.rules import Rule, RuleProblem
from bot.services.schedules.schedules import ScheduleView
from bot.texts.catalog import N_, Html, Translator
from models import RunStatus, ScheduleKind

WEEKDAYS = (
    N_("weekday.0"),
    N_("weekday.1"),
    N_("weekday.2"),
    N_("weekday.3"),
    N_("weekday.4"),
    N_("weekday.5"),
    N_("weekday.6"),
)
# Button labels of the picker ("T2" … "CN").
WEEKDAYS_SHORT = (
    N_("weekday.short.0"),
    N_("weekday.short.1"),
    N_("weekday.short.2"),
    N_("weekday.short.3"),
    N_("weekday.short.4"),
    N_("weekday.short.5"),
    N_("weekday.short.6"),
)
KIND_LABELS = {
    ScheduleKind.REMINDER: N_("schedule.kind.reminder"),
    ScheduleKind.CHASE: N_("schedule.kind.chase"),
    ScheduleKind.ESCALATION: N_("schedule.kind.escalation"),
    ScheduleKind.DIGEST: N_("schedule.kind.digest"),
    ScheduleKind.DIRECTIVE: N_("schedule.kind.directive"),
}
RUN_STATUS = {
    RunStatus.DONE: N_("schedule.run.done"),
    RunStatus.SKIPPED: N_("schedule.run.skipped"),
    RunStatus.MANUAL: N_("schedule.run.manual"),
}
PROBLEMS = {
    RuleProblem.BAD_TIME: N_("rule.bad_time"),
    RuleProblem.BAD_RULE: N_("rule.bad_rule"),
    RuleProblem.BAD_DAY: N_("rule.bad_day"),
    RuleProblem.NEVER_FIRES: N_("rule.never_fires"),
}


def describe_rule(t: Translator, rule: Rule) -> str:
    """A rule in words: "Thứ Hai, Thứ Năm 16:00", "Ngày 5 hằng tháng 08:00"…."""
    clock = f"{rule.at:%H:%M}"
    if rule.kind == "daily":
        return t.plain("rule.daily", time=clock)
    if rule.kind == "weekly":
        days = t.join([t.plain(WEEKDAYS[day]) for day in rule.weekdays])
        return t.plain("rule.weekly", days=days, time=clock)
    if rule.kind == "monthly":
        return t.plain("rule.monthly", day=str(rule.day), time=clock)
    assert rule.on is not None
    return t.plain("rule.once", date=t.date(rule.on), time=clock)


def kind_label(t: Translator, kind: ScheduleKind) -> str:
    """What a schedule of this kind does, in a few words."""
    return t.plain(KIND_LABELS[kind])


def rule_problem(t: Translator, problem: RuleProblem) -> Html:
    """Why a typed rule was refused, with examples."""
    return t(PROBLEMS[problem])


def schedule_text(t: Translator, view: ScheduleView, tz: ZoneInfo) -> Html:
    """One schedule in /lich: what, when, its state, next and last firing."""
    last = "—"
    if view.last_run is not None:
        status = t.plain(RUN_STATUS[view.last_run.status])
        last = t.plain("schedule.last", when=t.datetime(view.last_run.fire_time, tz), status=status)
    return t(
        "schedule.line",
        number=str(view.schedule_id),
        kind=kind_label(t, view.kind),
        rule=describe_rule(t, view.rule) if view.rule else view.rule_text,
        state=t.plain(N_("schedule.on") if view.enabled else N_("schedule.off")),
        next=t.datetime(view.next_send, tz) if view.next_send else "—",
        last=last,
    )
