"""Schedules held in the database → PTB JobQueue jobs with explicit ids; thin callbacks."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from bot.services.schedules import schedules
from bot.services.schedules.schedules import Due, fire_once, next_due, prepare_all
from bot.telegram.context import BotApplication, BotContext
from models import ScheduleKind
from models.base import utcnow

logger = logging.getLogger(__name__)


JOB_PREFIX = "schedule:"


def job_id(schedule_id: int) -> str:
    """The one job id of a schedule: re-registering replaces, never duplicates."""
    return f"{JOB_PREFIX}{schedule_id}"


def _register(application: BotApplication, due: Due) -> None:
    """Put the next firing on the JobQueue (a DateTrigger at the adjusted send time)."""
    queue = application.job_queue
    assert queue is not None
    queue.run_once(
        run_scheduled,
        when=due.send_at,
        data=(due.schedule_id, due.nominal.isoformat()),
        name=job_id(due.schedule_id),
        job_kwargs={"id": job_id(due.schedule_id), "replace_existing": True},
    )


def _unregister(application: BotApplication, schedule_id: int) -> None:
    """Drop a schedule's pending job (paused or deleted)."""
    queue = application.job_queue
    assert queue is not None
    for job in queue.get_jobs_by_name(job_id(schedule_id)):
        job.schedule_removal()


async def sync_schedule(application: BotApplication, schedule_id: int) -> None:
    """Catch up a missed firing if due, then register the next one (or none when paused).

    Only the leader keeps schedule jobs: elsewhere (a webhook worker where /lich was used) the
    change reaches the leader through the `schedules` counter (bot/runtime.py).
    """
    deps = application.bot_data
    if not deps.leadership.leading:
        return
    catch_up, following = await next_due(deps.db, schedule_id, utcnow(), deps.settings)
    _unregister(application, schedule_id)
    if catch_up is not None:
        logger.info("Catching up schedule %s missed at %s", schedule_id, catch_up.nominal)
        await _fire(application, catch_up.schedule_id, catch_up.nominal)
    if following is not None:
        _register(application, following)


async def sync_all(application: BotApplication) -> int:
    """Create the defaults once, then sync every schedule and drop jobs of deleted ones.

    Run when this process becomes the leader, and again whenever any process changed a
    schedule (the `schedules` counter moved; bot/runtime.py). Returns the counter the
    schedules were read at: a later value is a change this sync has not seen.
    """
    deps = application.bot_data
    known = await prepare_all(deps.db, deps.settings)
    queue = application.job_queue
    assert queue is not None
    wanted = {job_id(schedule_id) for schedule_id in known.ids}
    for job in queue.jobs():
        if job.name and job.name.startswith(JOB_PREFIX) and job.name not in wanted:
            job.schedule_removal()
    for schedule_id in known.ids:
        await sync_schedule(application, schedule_id)
    return known.version


def unregister_all(application: BotApplication) -> None:
    """Drop every schedule's job (this process stopped leading)."""
    queue = application.job_queue
    assert queue is not None
    for job in queue.jobs():
        if job.name and job.name.startswith(JOB_PREFIX):
            job.schedule_removal()


async def _fire(
    application: BotApplication, schedule_id: int, nominal: datetime, *, manual: bool = False
) -> int | None:
    """Record and queue one firing, then wake the dispatcher."""
    deps = application.bot_data
    recipients = await fire_once(
        deps.db, schedule_id, nominal, utcnow(), deps.settings, manual=manual
    )
    if recipients:
        deps.outbox.wake()
    return recipients


async def run_now(application: BotApplication, schedule_id: int) -> int | None:
    """Handle "▶ Chạy ngay": the same path and audience rules, keyed by this moment."""
    return await _fire(application, schedule_id, utcnow(), manual=True)


async def run_scheduled(context: BotContext) -> None:
    """The job callback: fire once, then register the next firing."""
    assert context.job is not None
    data = context.job.data
    assert isinstance(data, tuple)
    schedule_id, nominal = int(data[0]), datetime.fromisoformat(str(data[1]))
    application = cast(BotApplication, context.application)
    await _fire(application, schedule_id, nominal)
    await sync_schedule(application, schedule_id)


async def pause_or_resume(
    application: BotApplication, schedule_id: int, actor_user_id: int
) -> bool | None:
    """Pause or resume a schedule; its job follows at once. None when it is gone."""
    enabled = await schedules.toggle(application.bot_data.db, schedule_id, actor_user_id)
    await sync_schedule(application, schedule_id)
    return enabled


async def remove(application: BotApplication, schedule_id: int, actor_user_id: int) -> bool:
    """Delete a schedule and its job; False when it was already gone."""
    deleted = await schedules.delete(application.bot_data.db, schedule_id, actor_user_id)
    _unregister(application, schedule_id)
    return deleted


async def retime(
    application: BotApplication, schedule_id: int, rule: str, actor_user_id: int
) -> bool:
    """Give a schedule a new rule and re-register its job; False when it is gone."""
    changed = await schedules.change_rule(application.bot_data.db, schedule_id, rule, actor_user_id)
    if changed:
        await sync_schedule(application, schedule_id)
    return changed


async def add(
    application: BotApplication,
    kind: ScheduleKind,
    rule: str,
    template: str,
    actor_user_id: int,
) -> int:
    """Create a schedule and register its job; returns its id."""
    schedule_id = await schedules.create(
        application.bot_data.db, kind, rule, template, actor_user_id, utcnow()
    )
    await sync_schedule(application, schedule_id)
    return schedule_id
