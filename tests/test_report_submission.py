"""The report service: batches judged in order, duplicates replayed, corrections audited."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.registry.contacts import Identity
from bot.services.registry.identity_cache import IdentityCache
from bot.services.registry.units import find_unit
from bot.services.reports.reports import Figures, Reporter, Target
from bot.services.reports.submission import ReportWriter, Request, submit_batch
from models import AuditEvent, Report, Role
from models.db import Database

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
Factory = async_sessionmaker[AsyncSession]


async def _target(factory: Factory, code: str = "T01") -> Target:
    async with factory() as session:
        unit = await find_unit(session, code)
        assert unit is not None
        return Target(unit.id, unit.name, unit.adults, False)


def _request(target: Target, enrolled: int, update_id: int | None, **kw: object) -> Request:
    return Request(target, Figures(enrolled), Reporter(1, "Ông A"), update_id, NOW, **kw)  # type: ignore[arg-type]


async def test_batch_requests_see_each_other_in_order(
    session_factory: Factory, units: None
) -> None:
    target = await _target(session_factory)
    async with session_factory.begin() as session:
        results = await submit_batch(
            session,
            [_request(target, 100, 1), _request(target, 120, 2), _request(target, 90, 3)],
            "weekly",
            TZ,
        )
    assert [r.needs_confirmation for r in results] == [False, False, True]
    assert results[2].previous is not None and results[2].previous.enrolled == 120
    async with session_factory() as session:
        stored = list(await session.scalars(select(Report.enrolled).order_by(Report.id)))
    assert stored == [100, 120]


async def test_redelivered_update_replays_the_same_echo(
    session_factory: Factory, units: None
) -> None:
    target = await _target(session_factory)
    async with session_factory.begin() as session:
        [first] = await submit_batch(session, [_request(target, 100, 7)], "weekly", TZ)
    async with session_factory.begin() as session:
        [again] = await submit_batch(session, [_request(target, 100, 7)], "weekly", TZ)
    assert again.echo == first.echo
    assert again.report_id is not None and again.report_id == first.report_id
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == 1


async def test_correction_is_stored_with_reason_and_audited(
    session_factory: Factory, units: None
) -> None:
    target = await _target(session_factory)
    async with session_factory.begin() as session:
        await submit_batch(session, [_request(target, 100, 1)], "weekly", TZ)
    async with session_factory.begin() as session:
        [result] = await submit_batch(
            session, [_request(target, 80, 2, correction_reason="gõ nhầm")], "weekly", TZ
        )
    assert result.echo is not None and result.echo.is_correction
    async with session_factory() as session:
        actions = list(await session.scalars(select(AuditEvent.action)))
    assert "report.corrected" in actions


async def test_writer_groups_concurrent_submissions(
    db: Database, session_factory: Factory, units: None
) -> None:
    first, second = await _target(session_factory, "T01"), await _target(session_factory, "T02")
    writer = ReportWriter(db, "weekly", TZ)
    writer.start()
    try:
        results = await asyncio.gather(
            *(
                writer.submit(_request(t, 10 + i, 100 + i))
                for i, t in enumerate([first, second] * 5)
            )
        )
    finally:
        await writer.stop()
    assert all(not r.needs_confirmation for r in results)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == 10


def test_identity_cache_expires_and_forgets() -> None:
    now = [0.0]
    cache = IdentityCache(ttl=10, size=2, clock=lambda: now[0])
    alice = Identity(1, Role.HEAD, 5, "Thôn 1", 9)
    cache.put(alice)
    assert cache.get(1) == alice
    now[0] = 11
    assert cache.get(1) is None
    cache.put(alice)
    cache.forget(1)
    assert cache.get(1) is None
    for user in (1, 2, 3):
        cache.put(Identity(user, None, None, None, None))
    assert cache.get(1) is None and cache.get(3) is not None
