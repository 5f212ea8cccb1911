"""Schedules: defaults, changes, firing exactly once, catching up, and what each sends."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import STAFF, Audience
from bot.services.broadcasts.chase import nudge_params, queue_chase
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import create_directive
from bot.services.common.audit import record_event
from bot.services.common.keys import N_
from bot.services.common.sync import DEFAULT_SCHEDULES, SCHEDULES, bump, mark_once, version_of
from bot.services.reports.periods import DeadlineRule, Period, period_at
from bot.services.schedules.rules import (
    Rule,
    RuleError,
    VillageHours,
    next_fire,
    parse_rule,
    previous_fire,
)
from bot.services.stats.province import (
    commune_lines,
    has_communes,
    province_digest,
    scope_commune_name,
)
from bot.services.stats.stats import commune_summary, contact_names, late_units, unit_stats
from bot.settings import Settings
from models import (
    MessageKind,
    RunStatus,
    Schedule,
    ScheduleKind,
    ScheduleRun,
    scope,
    upsert,
)
from models.db import Database

logger = logging.getLogger(__name__)

DEFAULTS_MARKER = "schedules.defaults_created"
NUDGES = (ScheduleKind.REMINDER, ScheduleKind.CHASE)
# Officers' and leaders' messages go to staff; nudges and directives to the units.
STAFF_KINDS = (ScheduleKind.ESCALATION, ScheduleKind.DIGEST)
MAX_TEMPLATE = 3000
DIGEST_TOP = 3
DIGEST_LATE = 15


def village_hours(settings: Settings) -> VillageHours:
    """Quiet hours and rest days from the settings."""
    return VillageHours.parse(
        settings.quiet_hours, settings.rest_on_sundays, settings.rest_on_holidays
    )


def audience_for(kind: ScheduleKind) -> str:
    """Who a schedule of this kind writes to: the one place that rule lives."""
    return STAFF if kind in STAFF_KINDS else "all"


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


def trial_deadline(now: datetime, settings: Settings) -> datetime | None:
    """The current period's deadline while it is still ahead: an escalation now is a trial."""
    period = period_at(now, settings.report_period, settings.tz)
    deadline = DeadlineRule.from_settings(settings).due(period, settings.report_period, settings.tz)
    return deadline if now < deadline else None


async def ensure_defaults(session: AsyncSession, settings: Settings) -> bool:
    """Create the default schedules once, on the first start; later they are the users'.

    The once-only marker is inserted with ON CONFLICT DO NOTHING: of several processes
    starting together, exactly one creates the defaults.
    """
    if not await mark_once(session, DEFAULT_SCHEDULES):
        return False
    for kind, rule in _default_rules(settings):
        # An empty template means "the catalog's reminder, in each recipient's language".
        session.add(Schedule(kind=kind, rule=rule, audience=audience_for(kind), template=""))
    record_event(session, None, DEFAULTS_MARKER)
    await bump(session, SCHEDULES)
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
    rule = _parsed(schedule.rule)
    if rule is None:
        # A rule stored by an older version (or by hand) that no longer reads is reported and
        # skipped, never fatal: /lich shows it as typed so an officer can fix it.
        logger.warning(
            "Schedule %s has a rule that no longer reads (%r); skipped", schedule.id, schedule.rule
        )
        return None, None
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
    inserted = await session.scalar(
        upsert.insert(session, ScheduleRun)
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
    a second process, a re-fired job) or is no longer wanted: nothing is sent twice, and a
    job registered before a schedule was paused or re-timed (possibly by another process)
    sends nothing.
    """
    schedule = await session.get(Schedule, schedule_id)
    if schedule is None:
        return None
    if not manual and not still_due(schedule, nominal, settings):
        logger.info(
            "Schedule %s is paused or re-timed; its firing at %s is dropped", schedule_id, nominal
        )
        return None
    status = RunStatus.MANUAL if manual else RunStatus.DONE
    if not await _record(session, schedule_id, nominal, status, now):
        return None
    # A commune's schedule reaches that commune's units only, whoever runs it (the leader).
    with scope.narrowed(schedule.commune_id or scope.current_commune.get()):
        recipients = await _send(session, schedule, now, settings, manual=manual)
    run = await session.scalar(
        select(ScheduleRun).where(
            ScheduleRun.schedule_id == schedule_id, ScheduleRun.fire_time == nominal
        )
    )
    assert run is not None
    run.recipients = recipients
    return recipients


def still_due(schedule: Schedule, nominal: datetime, settings: Settings) -> bool:
    """Whether the schedule, as stored now, is enabled and fires at `nominal`."""
    if not schedule.enabled:
        return False
    rule = _parsed(schedule.rule)
    return rule is not None and previous_fire(rule, nominal, settings.tz) == nominal


def _reminder(
    schedule: Schedule, kind: MessageKind, period: Period, deadline: datetime, now: datetime
) -> DirectiveContent:
    """The schedule's own text, or the catalog's reminder (naming each recipient's unit)."""
    if schedule.template:
        return DirectiveContent(kind=kind.value, subject="", body=schedule.template)
    return DirectiveContent(
        kind=kind.value,
        subject="",
        body="",
        body_key=N_("message.reminder"),
        body_params=nudge_params(period, deadline, now),
    )


async def _send(
    session: AsyncSession, schedule: Schedule, now: datetime, settings: Settings, *, manual: bool
) -> int:
    """Queue what the schedule sends; returns the number of recipients."""
    tz, kind = settings.tz, schedule.kind
    audience = Audience.parse(schedule.audience)
    period = period_at(now, settings.report_period, tz)
    deadline = DeadlineRule.from_settings(settings).due(period, settings.report_period, tz)
    if kind in (ScheduleKind.REMINDER, ScheduleKind.DIRECTIVE):
        message_kind = (
            MessageKind.REMINDER if kind == ScheduleKind.REMINDER else MessageKind.DIRECTIVE
        )
        content = _reminder(schedule, message_kind, period, deadline, now)
        return await _queue(session, content, audience, schedule, now)
    if kind in STAFF_KINDS and not scope.is_narrowed() and await has_communes(session):
        # The province's own officers read it by commune: 3,000 units would not be a digest.
        lines = await commune_lines(session, period, deadline)
        content = province_digest(lines, period, settings.province_name)
        return await _queue(session, content, Audience(STAFF), schedule, now)
    summary = await commune_summary(session, now, tz, settings.report_period)
    stats = await unit_stats(session, summary.period, tz)
    late = [s for s in late_units(stats) if _in_audience(audience, s.code, s.residential)]
    if kind == ScheduleKind.CHASE:
        chased = await queue_chase(
            session, late, summary.period, schedule.created_by, now, deadline
        )
        return chased.people
    if kind == ScheduleKind.ESCALATION:
        names = await contact_names(session, [s.unit_id for s in late])
        params: dict[str, object] = {
            "period": summary.period.label,
            "late": [[s.name, names.get(s.unit_id, [])] for s in late],
        }
        trial = trial_deadline(now, settings) if manual else None
        if trial is not None:
            # Run by hand before the deadline: the officers read it as a trial, not a verdict.
            params["trial"] = f"{trial.astimezone(tz):%d/%m/%Y %H:%M}"
        content = DirectiveContent(
            kind=MessageKind.DIGEST.value,
            subject="",
            body="",
            body_key=N_("message.escalation"),
            body_params=params,
        )
    else:
        content = DirectiveContent(
            kind=MessageKind.DIGEST.value,
            subject="",
            body="",
            body_key=N_("message.digest"),
            body_params={
                "commune": await scope_commune_name(session, settings.commune_name),
                "period": summary.period.label,
                "enrolled": summary.enrolled,
                "percent": summary.percent,
                "change": summary.enrolled - summary.previous_enrolled,
                "reported": summary.residential_reported,
                "units": summary.residential_units,
                "top": [s.name for s in summary.top[:DIGEST_TOP]],
                "late": [s.name for s in late[:DIGEST_LATE]],
            },
        )
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


@dataclass(frozen=True)
class LastRun:
    """When a schedule last fired, and how."""

    fire_time: datetime
    status: RunStatus


@dataclass(frozen=True)
class ScheduleView:
    """One schedule as /lich and `schedules list` show it."""

    schedule_id: int
    kind: ScheduleKind
    rule: Rule | None
    rule_text: str
    enabled: bool
    next_send: datetime | None
    last_run: LastRun | None


def _parsed(text: str) -> Rule | None:
    """The rule, or None when a stored rule no longer reads (shown as typed)."""
    try:
        return parse_rule(text)
    except RuleError:
        return None


async def _view(
    session: AsyncSession,
    schedule: Schedule,
    runs: dict[int, ScheduleRun],
    now: datetime,
    settings: Settings,
) -> ScheduleView:
    """Describe one schedule without changing anything."""
    rule = _parsed(schedule.rule)
    following = None
    if rule is not None:
        _, following = await plan(session, schedule, now, settings, record_skips=False)
    run = runs.get(schedule.id)
    return ScheduleView(
        schedule.id,
        schedule.kind,
        rule,
        schedule.rule,
        schedule.enabled,
        following.send_at if following else None,
        LastRun(run.fire_time, run.status) if run else None,
    )


async def schedule_views(db: Database, now: datetime, settings: Settings) -> list[ScheduleView]:
    """Every schedule with its next firing and last run, read in one snapshot."""
    async with db.read() as session:
        schedules = list(await session.scalars(select(Schedule).order_by(Schedule.id)))
        runs = await last_runs(session)
        return [await _view(session, s, runs, now, settings) for s in schedules]


async def schedule_view(
    db: Database, schedule_id: int, now: datetime, settings: Settings
) -> ScheduleView | None:
    """One schedule's view; None when it was deleted."""
    async with db.read() as session:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is None:
            return None
        return await _view(session, schedule, await last_runs(session), now, settings)


async def toggle(db: Database, schedule_id: int, actor_user_id: int) -> bool | None:
    """Pause or resume; returns the new state, or None when the schedule is gone."""
    async with db.write() as session:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is None:
            return None
        schedule.enabled = not schedule.enabled
        record_event(
            session,
            actor_user_id,
            "schedule.toggled",
            schedule_id=schedule_id,
            enabled=schedule.enabled,
        )
        await bump(session, SCHEDULES)
        return schedule.enabled


async def delete(db: Database, schedule_id: int, actor_user_id: int) -> bool:
    """Delete a schedule; False when it was already gone."""
    async with db.write() as session:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is None:
            return False
        await session.delete(schedule)
        record_event(session, actor_user_id, "schedule.deleted", schedule_id=schedule_id)
        await bump(session, SCHEDULES)
        return True


async def change_rule(db: Database, schedule_id: int, rule: str, actor_user_id: int) -> bool:
    """Give a schedule a new (already checked) rule; False when it is gone."""
    async with db.write() as session:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is None:
            return False
        schedule.rule = rule
        record_event(session, actor_user_id, "schedule.changed", schedule_id=schedule_id, rule=rule)
        await bump(session, SCHEDULES)
        return True


async def create(
    db: Database,
    kind: ScheduleKind,
    rule: str,
    template: str,
    actor_user_id: int,
    now: datetime,
) -> int:
    """Create a schedule (its audience follows its kind); returns its id."""
    async with db.write() as session:
        schedule = Schedule(
            kind=kind,
            rule=rule,
            audience=audience_for(kind),
            template=template[:MAX_TEMPLATE],
            created_by=actor_user_id,
            created_at=now,
        )
        session.add(schedule)
        await session.flush()
        record_event(session, actor_user_id, "schedule.created", schedule_id=schedule.id)
        await bump(session, SCHEDULES)
        return schedule.id


# "▶ Chạy ngay" runs a schedule at most once in this window, however often it is pressed.
REPEAT_MINUTES = 10


async def recent_manual_run(db: Database, schedule_id: int, now: datetime) -> datetime | None:
    """When the schedule was last run by hand, if within REPEAT_MINUTES."""
    since = now - timedelta(minutes=REPEAT_MINUTES)
    async with db.read() as session:
        latest: datetime | None = await session.scalar(
            select(func.max(ScheduleRun.ran_at)).where(
                ScheduleRun.schedule_id == schedule_id,
                ScheduleRun.status == RunStatus.MANUAL,
                ScheduleRun.ran_at > since,
            )
        )
    return latest


async def fire_once(
    db: Database,
    schedule_id: int,
    nominal: datetime,
    now: datetime,
    settings: Settings,
    *,
    manual: bool = False,
) -> int | None:
    """Record and queue one firing in its own transaction; None when already done or gone."""
    async with db.write() as session:
        return await fire(session, schedule_id, nominal, now, settings, manual=manual)


async def next_due(
    db: Database, schedule_id: int, now: datetime, settings: Settings
) -> tuple[Due | None, Due | None]:
    """Plan a schedule (recording old misses as skipped); (None, None) when gone or paused."""
    async with db.write() as session:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is None:
            return None, None
        return await plan(session, schedule, now, settings)


@dataclass(frozen=True)
class KnownSchedules:
    """Every schedule's id, and the `schedules` counter they were read at (one snapshot)."""

    ids: list[int]
    version: int


async def prepare_all(db: Database, settings: Settings) -> KnownSchedules:
    """At start: create the defaults once; return every schedule's id and the counter."""
    async with db.write() as session:
        await ensure_defaults(session, settings)
    async with db.read() as session:
        ids = list(await session.scalars(select(Schedule.id).order_by(Schedule.id)))
        return KnownSchedules(ids, await version_of(session, SCHEDULES))
