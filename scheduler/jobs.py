"""Schedules held in the database → PTB JobQueue jobs with explicit ids; thin callbacks."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from sqlalchemy import select

from bot.context import BotApplication, BotContext
from bot.services.schedules import Due, ensure_defaults, fire, plan
from models import Schedule
from models.base import utcnow

logger = logging.getLogger(__name__)


def job_id(schedule_id: int) -> str:
    """The one job id of a schedule: re-registering replaces, never duplicates."""
    return f"schedule:{schedule_id}"


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
    """Catch up a missed firing if due, then register the next one (or none when paused)."""
    deps = application.bot_data
    now = utcnow()
    async with deps.session_factory.begin() as session:
        schedule = await session.get(Schedule, schedule_id)
        catch_up, following = (
            (None, None) if schedule is None else await plan(session, schedule, now, deps.settings)
        )
    _unregister(application, schedule_id)
    if catch_up is not None:
        logger.info("Catching up schedule %s missed at %s", schedule_id, catch_up.nominal)
        await _fire(application, catch_up.schedule_id, catch_up.nominal)
    if following is not None:
        _register(application, following)


async def sync_all(application: BotApplication) -> None:
    """At start: create the defaults once, then sync every schedule."""
    deps = application.bot_data
    async with deps.session_factory.begin() as session:
        await ensure_defaults(session, deps.settings)
    async with deps.read_session_factory() as session:
        ids = list(await session.scalars(select(Schedule.id).order_by(Schedule.id)))
    for schedule_id in ids:
        await sync_schedule(application, schedule_id)


async def _fire(
    application: BotApplication, schedule_id: int, nominal: datetime, *, manual: bool = False
) -> int | None:
    """Record and queue one firing, then wake the dispatcher."""
    deps = application.bot_data
    async with deps.session_factory.begin() as session:
        recipients = await fire(
            session, schedule_id, nominal, utcnow(), deps.settings, manual=manual
        )
    if recipients:
        deps.dispatcher.wake()
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
