"""Schedules with a controlled clock: exactly once across restarts and two instances."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.broadcasts.content import DirectiveContent
from bot.services.registry.invites import create_invite, redeem_invite
from bot.services.registry.units import find_unit
from bot.services.reports.reports import Figures, Reporter, Target
from bot.services.reports.submission import Request, submit_batch
from bot.services.schedules.schedules import ensure_defaults, fire, plan, trial_deadline
from bot.settings import Settings
from bot.texts import translator
from bot.texts.directives import render_directive
from models import (
    Delivery,
    Directive,
    MessageKind,
    Role,
    RunStatus,
    Schedule,
    ScheduleKind,
    ScheduleRun,
)
from models.db import make_engine, make_session_factory

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Factory = async_sessionmaker[AsyncSession]
SETTINGS = Settings.model_validate({"database_url": "sqlite+aiosqlite:///unused.db"})
MONDAY_8 = datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
CREATED = datetime(2026, 11, 1, tzinfo=TZ)


async def _heads(factory: Factory) -> None:
    """One head in each of T01, T02, B01; T01 reports this week."""
    async with factory.begin() as session:
        for index, code in enumerate(("T01", "T02", "B01")):
            unit = await find_unit(session, code)
            invite = await create_invite(
                session,
                unit=unit,
                role=Role.HEAD,
                max_uses=1,
                ttl=None,
                now=CREATED,
                actor_user_id=None,
            )
            await session.flush()
            await redeem_invite(
                session,
                code=invite.code,
                user_id=100 + index,
                chat_id=100 + index,
                display_name=f"H{index}",
                now=CREATED,
            )
    async with factory() as session:
        unit = await find_unit(session, "T01")
        assert unit is not None
        target = Target(unit.id, unit.name, unit.adults, False)
    async with factory.begin() as session:
        await submit_batch(
            session,
            [Request(target, Figures(10), Reporter(100, "H"), 1, MONDAY_8 + timedelta(days=1))],
            "weekly",
            TZ,
        )


async def _schedule(factory: Factory, kind: ScheduleKind, rule: str) -> int:
    async with factory.begin() as session:
        schedule = Schedule(kind=kind, rule=rule, audience="all", template="", created_at=CREATED)
        session.add(schedule)
        await session.flush()
        return schedule.id


async def _deliveries(factory: Factory) -> list[int]:
    async with factory() as session:
        return sorted(await session.scalars(select(Delivery.chat_id)))


async def test_chase_reaches_only_units_that_have_not_reported(
    session_factory: Factory, units: None
) -> None:
    await _heads(session_factory)
    chase = await _schedule(session_factory, ScheduleKind.CHASE, "t5 16:00")
    thursday = datetime(2026, 12, 3, 16, 0, tzinfo=TZ)
    async with session_factory.begin() as session:
        assert await fire(session, chase, thursday, thursday, SETTINGS) == 2
    assert await _deliveries(session_factory) == [101, 102]
    async with session_factory() as session:
        assert list(await session.scalars(select(Directive.kind))) == [MessageKind.CHASE]


async def test_a_firing_is_recorded_once_and_sent_once(
    session_factory: Factory, units: None
) -> None:
    await _heads(session_factory)
    reminder = await _schedule(session_factory, ScheduleKind.REMINDER, "t2 08:00")
    for _ in range(2):  # a re-fired job, or a restart that fires again
        async with session_factory.begin() as session:
            await fire(session, reminder, MONDAY_8, MONDAY_8, SETTINGS)
    assert await _deliveries(session_factory) == [100, 101, 102]


async def test_two_instances_on_one_database_never_send_twice(db_url: str, units: None) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    factories = [make_session_factory(e) for e in engines]
    await _heads(factories[0])
    reminder = await _schedule(factories[0], ScheduleKind.REMINDER, "t2 08:00")

    async def attempt(factory: Factory) -> int | None:
        async with factory.begin() as session:
            return await fire(session, reminder, MONDAY_8, MONDAY_8, SETTINGS)

    results = await asyncio.gather(*(attempt(f) for f in factories * 3))
    assert sorted(results, key=lambda r: r or 0) == [None] * 5 + [3]
    assert await _deliveries(factories[0]) == [100, 101, 102]
    for engine in engines:
        await engine.dispose()


@pytest.mark.parametrize(
    ("restart_at", "expect_catch_up", "expect_next"),
    [
        (MONDAY_8 - timedelta(minutes=1), False, MONDAY_8),  # just before: wait for it
        (MONDAY_8 + timedelta(minutes=1), True, MONDAY_8 + timedelta(days=7)),  # just after
        (MONDAY_8 + timedelta(hours=5), True, MONDAY_8 + timedelta(days=7)),  # inside grace
        (MONDAY_8 + timedelta(hours=7), False, MONDAY_8 + timedelta(days=7)),  # beyond grace
    ],
)
async def test_restart_around_a_firing(
    session_factory: Factory,
    units: None,
    restart_at: datetime,
    expect_catch_up: bool,
    expect_next: datetime,
) -> None:
    reminder = await _schedule(session_factory, ScheduleKind.REMINDER, "t2 08:00")
    async with session_factory.begin() as session:
        schedule = await session.get(Schedule, reminder)
        assert schedule is not None
        catch_up, following = await plan(session, schedule, restart_at, SETTINGS)
    assert (catch_up is not None) == expect_catch_up
    assert following is not None and following.send_at == expect_next
    if catch_up is not None:
        assert catch_up.nominal == MONDAY_8
        async with session_factory.begin() as session:
            await fire(session, reminder, catch_up.nominal, restart_at, SETTINGS)
        async with session_factory.begin() as session:
            schedule = await session.get(Schedule, reminder)
            assert schedule is not None
            again, _ = await plan(session, schedule, restart_at + timedelta(minutes=1), SETTINGS)
        assert again is None  # a second restart does not send it again
    async with session_factory() as session:
        statuses = list(await session.scalars(select(ScheduleRun.status)))
    if restart_at - MONDAY_8 > timedelta(hours=6):
        assert statuses == [RunStatus.SKIPPED]


async def test_paused_schedule_has_no_firing(session_factory: Factory, units: None) -> None:
    reminder = await _schedule(session_factory, ScheduleKind.REMINDER, "t2 08:00")
    async with session_factory.begin() as session:
        schedule = await session.get(Schedule, reminder)
        assert schedule is not None
        schedule.enabled = False
        assert await plan(session, schedule, MONDAY_8 + timedelta(hours=1), SETTINGS) == (
            None,
            None,
        )


async def test_defaults_are_created_once(session_factory: Factory, units: None) -> None:
    async with session_factory.begin() as session:
        assert await ensure_defaults(session, SETTINGS) is True
    async with session_factory.begin() as session:
        for schedule in await session.scalars(select(Schedule)):
            await session.delete(schedule)
    async with session_factory.begin() as session:
        assert await ensure_defaults(session, SETTINGS) is False
        assert await session.scalar(select(func.count()).select_from(Schedule)) == 0


async def test_escalation_run_by_hand_before_the_deadline_is_a_trial(
    session_factory: Factory, units: None
) -> None:
    await _heads(session_factory)
    escalation = await _schedule(session_factory, ScheduleKind.ESCALATION, "t6 17:00")
    wednesday = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)  # the deadline is Friday 04/12 17:00
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=TZ)
    async with session_factory.begin() as session:
        await fire(session, escalation, wednesday, wednesday, SETTINGS, manual=True)
        await fire(session, escalation, friday_evening, friday_evening, SETTINGS, manual=True)
        # A timed firing is never a trial, whenever it comes (here: last Friday's, on Wednesday).
        last_friday = datetime(2026, 11, 27, 17, 0, tzinfo=TZ)
        await fire(session, escalation, last_friday, wednesday, SETTINGS)
    async with session_factory() as session:
        trial, late, timed = list(await session.scalars(select(Directive).order_by(Directive.id)))
    assert trial.body_params is not None and trial.body_params["trial"] == "04/12/2026 17:00"
    assert late.body_params is not None and "trial" not in late.body_params
    assert timed.body_params is not None and "trial" not in timed.body_params
    vi = translator("vi")
    for directive, opening in ((trial, "🧪 Chạy thử"), (late, "🚨 Hết hạn báo cáo")):
        content = DirectiveContent(
            kind=directive.kind.value,
            subject="",
            body="",
            body_key=directive.body_key,
            body_params=directive.body_params or {},
        )
        rendered = render_directive(content, vi, "Ea Knốp", SETTINGS.course_url)
        text = "".join(rendered.parts)
        assert text.startswith(opening) and "Thôn 2" in text
        # Officers' own notes do not carry the course link meant for residents.
        assert SETTINGS.course_url not in text


def test_the_deadline_of_weekly_and_monthly_periods() -> None:
    monthly = Settings.model_validate(
        {"database_url": "sqlite+aiosqlite:///unused.db", "report_period": "monthly"}
    )
    assert trial_deadline(datetime(2026, 12, 2, 10, 0, tzinfo=TZ), SETTINGS) == datetime(
        2026, 12, 4, 17, 0, tzinfo=TZ
    )
    assert trial_deadline(datetime(2026, 12, 4, 17, 0, tzinfo=TZ), SETTINGS) is None
    assert trial_deadline(datetime(2026, 12, 10, 9, 0, tzinfo=TZ), monthly) == datetime(
        2026, 12, 14, 17, 0, tzinfo=TZ
    )
    assert trial_deadline(datetime(2026, 12, 15, 9, 0, tzinfo=TZ), monthly) == datetime(
        2027, 1, 14, 17, 0, tzinfo=TZ
    )
