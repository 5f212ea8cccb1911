"""Schedules: defaults, firing exactly once, catching up after downtime, and what each sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.formatting import format_number, format_percent
from bot.services.audience import STAFF, Audience
from bot.services.audit import record_event
from bot.services.directive_render import DirectiveContent
from bot.services.directives import create_directive
from bot.services.schedule_rules import VillageHours, next_fire, parse_rule, previous_fire
from bot.services.stats import commune_summary, contact_names, late_units, unit_stats
from bot.settings import Settings
from models import (
    AuditEvent,
    MessageKind,
    RunStatus,
    Schedule,
    ScheduleKind,
    ScheduleRun,
)

DEFAULTS_MARKER = "schedules.defaults_created"
NUDGES = (ScheduleKind.REMINDER, ScheduleKind.CHASE)


def village_hours(settings: Settings) -> VillageHours:
    """Quiet hours and rest days from the settings."""
    return VillageHours.parse(
        settings.quiet_hours, settings.rest_on_sundays, settings.rest_on_holidays
    )


def _default_rules(settings: Settings) -> list[tuple[ScheduleKind, str]]:
    """The four default schedules for the configured reporting period."""
    deadline = settings.report_deadline_time
    if settings.report_period == "monthly":
        day = settings.report_deadline_day
        return [
            (ScheduleKind.REMINDER, f"ngay {max(day - 9, 1)} 08:00"),
            (ScheduleKind.CHASE, f"ngay {max(day - 2, 1)} 16:00"),
            (ScheduleKind.ESCALATION, f"ngay {day} {deadline}"),
            (ScheduleKind.DIGEST, f"ngay {min(day + 1, 28)} 08:00"),
        ]
    weekday = settings.report_deadline_weekday
    return [
        (ScheduleKind.REMINDER, "t2 08:00"),
        (ScheduleKind.CHASE, "t5 16:00"),
        (ScheduleKind.ESCALATION, f"{'cn' if weekday == 6 else f't{weekday + 2}'} {deadline}"),
        (ScheduleKind.DIGEST, "t7 08:00"),
    ]


async def ensure_defaults(session: AsyncSession, settings: Settings) -> bool:
    """Create the default schedules once, on the first start; later they are the users'."""
    done = await session.scalar(select(AuditEvent.id).where(AuditEvent.action == DEFAULTS_MARKER))
    if done is not None:
        return False
    for kind, rule in _default_rules(settings):
        audience = STAFF if kind in (ScheduleKind.ESCALATION, ScheduleKind.DIGEST) else "all"
        template = texts.DEFAULT_REMINDER if kind == ScheduleKind.REMINDER else ""
        session.add(Schedule(kind=kind, rule=rule, audience=audience, template=template))
    record_event(session, None, DEFAULTS_MARKER)
    return True


@dataclass(frozen=True)
class Due:
    """The next firing of a schedule: its key (nominal time) and when to actually send."""

    schedule_id: int
    nominal: datetime
    send_at: datetime


async def _has_run(session: AsyncSession, schedule_id: int, nominal: datetime) -> bool:
    """Whether this firing is already recorded."""
    found = await session.scalar(
        select(ScheduleRun.id).where(
            ScheduleRun.schedule_id == schedule_id, ScheduleRun.fire_time == nominal
        )
    )
    return found is not None


def _send_time(schedule: Schedule, nominal: datetime, settings: Settings) -> datetime:
    """Move a firing out of quiet hours, and nudges off Sundays and holidays."""
    return village_hours(settings).adjust(
        nominal, settings.tz, avoid_rest_days=schedule.kind in NUDGES
    )


async def plan(
    session: AsyncSession,
    schedule: Schedule,
    now: datetime,
    settings: Settings,
    *,
    record_skips: bool = True,
) -> tuple[Due | None, Due | None]:
    """(a firing to catch up now, or None; the next firing to wait for, or None).

    The last nominal firing at or before now is caught up if it never ran and its send time
    passed within the grace period; older misses are recorded as skipped (unless the caller
    only displays the plan).
    """
    if not schedule.enabled:
        return None, None
    rule = parse_rule(schedule.rule)
    tz = settings.tz
    catch_up: Due | None = None
    last = previous_fire(rule, now, tz)
    if (
        last is not None
        and last >= schedule.created_at
        and not await _has_run(session, schedule.id, last)
    ):
        send_at = _send_time(schedule, last, settings)
        if send_at > now:
            return None, Due(schedule.id, last, send_at)
        if now - send_at <= timedelta(hours=settings.schedule_grace_hours):
            catch_up = Due(schedule.id, last, now)
        elif record_skips:
            await _record(session, schedule.id, last, RunStatus.SKIPPED, now)
    upcoming = next_fire(rule, now, tz)
    following = (
        Due(schedule.id, upcoming, _send_time(schedule, upcoming, settings)) if upcoming else None
    )
    return catch_up, following


async def _record(
    session: AsyncSession, schedule_id: int, nominal: datetime, status: RunStatus, now: datetime
) -> bool:
    """Insert the run row; False if this firing was already recorded (by us or another bot)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = await session.scalar(
        module.insert(ScheduleRun)
        .values(
            schedule_id=schedule_id,
            fire_time=nominal,
            status=status,
            recipients=0,
            ran_at=now,
        )
        .on_conflict_do_nothing(index_elements=["schedule_id", "fire_time"])
        .returning(ScheduleRun.id)
    )
    return inserted is not None


async def fire(
    session: AsyncSession,
    schedule_id: int,
    nominal: datetime,
    now: datetime,
    settings: Settings,
    *,
    manual: bool = False,
) -> int | None:
    """Record the firing first, then queue its messages, in the caller's transaction.

    Returns the number of recipients, or None when the firing was already done (a restart,
    a second process, a re-fired job): nothing is sent twice.
    """
    schedule = await session.get(Schedule, schedule_id)
    if schedule is None:
        return None
    status = RunStatus.MANUAL if manual else RunStatus.DONE
    if not await _record(session, schedule_id, nominal, status, now):
        return None
    recipients = await _send(session, schedule, now, settings)
    run = await session.scalar(
        select(ScheduleRun).where(
            ScheduleRun.schedule_id == schedule_id, ScheduleRun.fire_time == nominal
        )
    )
    assert run is not None
    run.recipients = recipients
    return recipients


async def _send(
    session: AsyncSession, schedule: Schedule, now: datetime, settings: Settings
) -> int:
    """Queue what the schedule sends; returns the number of recipients."""
    tz, kind = settings.tz, schedule.kind
    if kind == ScheduleKind.REMINDER:
        content = DirectiveContent(
            kind=MessageKind.REMINDER.value,
            subject="",
            body=schedule.template or texts.DEFAULT_REMINDER,
        )
        return await _queue(session, content, Audience.parse(schedule.audience), schedule, now)
    if kind == ScheduleKind.DIRECTIVE:
        content = DirectiveContent(
            subject=texts.SCHEDULED_DIRECTIVE_SUBJECT,
            body=schedule.template or texts.DEFAULT_REMINDER,
        )
        return await _queue(session, content, Audience.parse(schedule.audience), schedule, now)
    summary = await commune_summary(session, now, tz, settings.report_period)
    stats = await unit_stats(session, summary.period, tz)
    audience = Audience.parse(schedule.audience)
    late = [s for s in late_units(stats) if _in_audience(audience, s.code, s.residential)]
    if kind == ScheduleKind.CHASE:
        if not late:
            return 0
        content = DirectiveContent(
            kind=MessageKind.CHASE.value,
            subject=texts.NUDGE_SUBJECT,
            body=texts.chase_text(summary.period.label, None),
        )
        return await _queue(
            session, content, Audience("units", tuple(s.code for s in late)), schedule, now
        )
    if kind == ScheduleKind.ESCALATION:
        names = await contact_names(session, [s.unit_id for s in late])
        lines = [f"• {s.name}: {', '.join(names.get(s.unit_id, [])) or texts.NOBODY}" for s in late]
        body = texts.escalation_text(summary.period.label, lines)
    else:
        body = texts.digest_text(
            settings.commune_name,
            summary.period.label,
            format_number(summary.enrolled),
            format_percent(summary.percent) if summary.percent is not None else "—",
            _change(summary.enrolled - summary.previous_enrolled),
            f"{summary.residential_reported}/{summary.residential_units} thôn/buôn",
            [s.name for s in summary.top[:3]],
            [s.name for s in late[:15]],
        )
    content = DirectiveContent(kind=MessageKind.DIGEST.value, subject="", body=body)
    return await _queue(session, content, Audience(STAFF), schedule, now)


def _in_audience(audience: Audience, code: str, residential: bool) -> bool:
    """Whether a unit belongs to a schedule's audience."""
    if audience.kind == "units":
        return code.lower() in {c.lower() for c in audience.codes}
    if audience.kind == "thon":
        return residential
    if audience.kind == "co_quan":
        return not residential
    return True


def _change(delta: int) -> str:
    """Render "tăng 15", "giảm 3" or "không đổi"."""
    if delta == 0:
        return "không đổi"
    return f"{'tăng' if delta > 0 else 'giảm'} {format_number(abs(delta))}"


async def _queue(
    session: AsyncSession,
    content: DirectiveContent,
    audience: Audience,
    schedule: Schedule,
    now: datetime,
) -> int:
    """Write the outbox rows for one firing."""
    _, count = await create_directive(
        session, content, audience, actor_user_id=schedule.created_by, now=now
    )
    return count


async def last_runs(session: AsyncSession) -> dict[int, ScheduleRun]:
    """The newest run of each schedule."""
    newest = (
        select(ScheduleRun.schedule_id, func.max(ScheduleRun.id).label("id"))
        .group_by(ScheduleRun.schedule_id)
        .subquery()
    )
    runs = await session.scalars(select(ScheduleRun).join(newest, newest.c.id == ScheduleRun.id))
    return {run.schedule_id: run for run in runs}
