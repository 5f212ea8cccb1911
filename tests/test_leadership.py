"""Leadership and shared state between processes, in one test process (both databases).

Two Applications on one database stand for two processes: one leads, the other stands by and
takes over; a role granted or a schedule changed elsewhere reaches the running bot within a
few seconds; a firing whose schedule was paused or re-timed elsewhere sends nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import build_application, polling
from bot.runtime import running
from bot.sandbox.client import SandboxClient
from bot.services.registry.contacts import grant
from bot.services.schedules import schedules
from bot.services.schedules.schedules import fire
from bot.settings import Settings
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import Role, Schedule, ScheduleKind
from models.db import Database
from scheduler.jobs import job_id, sync_all
from tests.conftest import ON_POSTGRESQL, SettingsFactory
from tests.helpers import until

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
FAST: dict[str, Any] = {"leader_check_seconds": 0.1, "lease_seconds": 1.0}


# Bounded waits, looked at every 0.05 s.
_until = functools.partial(until, timeout=20, step=0.05)


def _job(application: BotApplication, schedule_id: int) -> Any:
    queue = application.job_queue
    assert queue is not None
    jobs = queue.get_jobs_by_name(job_id(schedule_id))
    return jobs[0] if jobs else None


async def test_a_role_granted_by_another_process_counts_at_once(
    make_settings: SettingsFactory, units: None, client: SandboxClient, db: Database
) -> None:
    """`binhdan grant` elsewhere: the gate's cached identity is dropped, no 30 s wait."""
    user = 975_001
    async with polling(build_application(make_settings(**FAST))):
        [refused] = await client.converse(user, "/thongke")
        assert refused["html"] == str(VI("stranger.how_to"))
        await grant(db, actor_user_id=None, user_id=user, role=Role.OFFICER)  # "another process"
        await asyncio.sleep(0.5)  # a few watcher rounds; the cache keeps identities 30 s
        replies = await client.converse(user, "/thongke", replies=2)
        assert all(r["html"] != str(VI("stranger.how_to")) for r in replies)


async def test_schedule_changes_made_elsewhere_reach_the_leader(
    make_settings: SettingsFactory, units: None, db: Database
) -> None:
    application = build_application(make_settings(**FAST))
    async with polling(application):
        async with db.read() as session:
            schedule_id = await session.scalar(select(func_min_id()))
        assert schedule_id is not None and _job(application, schedule_id) is not None
        before = _job(application, schedule_id).next_t
        await schedules.change_rule(db, schedule_id, "t4 07:15", actor_user_id=1)
        await _until(
            lambda: (job := _job(application, schedule_id)) is not None and job.next_t != before,
            what="the re-timed job",
        )
        job = _job(application, schedule_id)
        local = job.next_t.astimezone(application.bot_data.settings.tz)
        assert (local.weekday(), local.hour, local.minute) == (2, 7, 15)
        await schedules.toggle(db, schedule_id, actor_user_id=1)  # paused elsewhere
        await _until(lambda: _job(application, schedule_id) is None, what="the job to go")
        await schedules.delete(db, schedule_id, actor_user_id=1)
        created = await schedules.create(
            db, ScheduleKind.DIGEST, "t7 09:00", "", actor_user_id=1, now=datetime.now(UTC)
        )
        await _until(lambda: _job(application, created) is not None, what="the new job")


async def test_the_leader_does_not_sync_again_for_the_defaults_it_created(
    make_settings: SettingsFactory, units: None, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Creating the default schedules moves the counter; the watcher must not redo the sync."""
    syncs: list[int] = []

    async def counted(application: BotApplication) -> int:
        version = await sync_all(application)
        syncs.append(version)
        return version

    monkeypatch.setattr("bot.runtime.sync_all", counted)
    async with polling(build_application(make_settings(**FAST))):
        await asyncio.sleep(0.6)  # several watcher rounds after the start's own change
        assert len(syncs) == 1 and syncs[0] >= 1
        async with db.read() as session:
            schedule_id = await session.scalar(select(func_min_id()))
        assert schedule_id is not None
        await schedules.toggle(db, schedule_id, actor_user_id=1)  # a change made elsewhere
        await _until(lambda: len(syncs) == 2, what="the sync for the change made elsewhere")
        assert syncs[1] > syncs[0]


def func_min_id() -> Any:
    from sqlalchemy import func

    return func.min(Schedule.id)


async def test_a_firing_of_a_paused_or_retimed_schedule_sends_nothing(
    session_factory: SessionFactory, units: None, db: Database
) -> None:
    settings = Settings.model_validate({})
    async with session_factory.begin() as session:
        schedule = Schedule(kind=ScheduleKind.REMINDER, rule="t2 08:00", audience="all")
        session.add(schedule)
        await session.flush()
        schedule_id = schedule.id
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    await schedules.change_rule(db, schedule_id, "t3 08:00", actor_user_id=1)
    async with session_factory.begin() as session:
        assert await fire(session, schedule_id, monday, monday, settings) is None
    await schedules.toggle(db, schedule_id, actor_user_id=1)
    tuesday = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    async with session_factory.begin() as session:
        assert await fire(session, schedule_id, tuesday, tuesday, settings) is None
    await schedules.toggle(db, schedule_id, actor_user_id=1)
    async with session_factory.begin() as session:
        assert await fire(session, schedule_id, tuesday, tuesday, settings) is not None


async def test_a_standby_takes_over_when_the_leader_stops(
    make_settings: SettingsFactory, units: None, client: SandboxClient
) -> None:
    first = build_application(make_settings(**FAST))
    second = build_application(make_settings(**FAST))
    async with running(first, elect=True, poll_timeout=1) as leader:
        await _until(lambda: leader.leading, what="the first leader")
        async with running(second, elect=True, poll_timeout=1) as standby:
            await asyncio.sleep(0.5)
            assert leader.leading and not standby.leading
            [reply] = await client.converse(975_002, "/huongdan")
            assert reply["text"]
            # Only the leader polls. (Stopping later adds one 409: PTB's last getUpdates ends
            # its own cancelled long poll, as it does for a single bot.)
            conflicts = [c for c in await client.calls("getUpdates") if c["status"] == 409]
            assert conflicts == []
            await leader.stop()  # graceful: the lock is released at once
            await _until(lambda: standby.leading, what="the standby to lead")
            [again] = await client.converse(975_002, "/huongdan")
            assert again["text"] == reply["text"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only: the leader's own connection")
async def test_a_leader_that_loses_its_database_connection_stops_leading(
    make_settings: SettingsFactory, units: None, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Whatever an earlier test did to the logger, its warnings are what this test reads.
    caplog.set_level(logging.WARNING, logger="bot.runtime")
    application = build_application(make_settings(**FAST))
    async with running(application, elect=True, poll_timeout=1) as runtime:
        await _until(lambda: runtime.leading, what="leadership")
        engine = create_async_engine(db_url, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                killed = await connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = 'binhdan-leader' "
                        "AND datname = current_database()"
                    )
                )
        finally:
            await engine.dispose()
        assert killed == 1
        await _until(lambda: "stopped leading" in caplog.text, what="the step down")
        assert "Lost the database connection" in caplog.text
        # Nobody else holds the lock: the same process leads again with a new connection.
        await _until(
            lambda: runtime.leading and runtime.terms == 2 and runtime.poller.running,
            what="leading (and polling) again",
        )


async def test_a_slow_stop_logs_the_await_it_hangs_on(caplog: pytest.LogCaptureFixture) -> None:
    from bot.runtime import report_a_slow_stop

    async def a_send_that_never_finishes() -> None:
        await asyncio.Event().wait()

    hanging = asyncio.create_task(a_send_that_never_finishes())
    await asyncio.sleep(0)  # it starts, and waits
    with caplog.at_level(logging.ERROR, logger="bot.runtime"):
        await report_a_slow_stop(0)
    hanging.cancel()
    [record] = [r for r in caplog.records if r.name == "bot.runtime"]
    assert record.getMessage().startswith("Still stopping after 0 s; waiting in:")
    assert "a_send_that_never_finishes" in record.getMessage()
