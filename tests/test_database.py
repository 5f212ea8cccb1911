"""The database seam: reads take no write lock and see one snapshot; writes are one transaction."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from models import AuditEvent
from models.db import Database


async def _count(db: Database) -> int:
    """How many audit events are stored."""
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def test_a_reader_never_holds_up_a_writer_and_keeps_its_snapshot(db: Database) -> None:
    async with db.read() as reading:
        before = await reading.scalar(select(func.count()).select_from(AuditEvent))

        async def write() -> None:
            async with db.write() as session:
                session.add(AuditEvent(actor_user_id=None, action="test.write", details={}))

        # Were the read holding SQLite's write lock, this would wait out the busy timeout.
        await asyncio.wait_for(write(), timeout=5)
        during = await reading.scalar(select(func.count()).select_from(AuditEvent))
        assert during == before, "a read sees one snapshot"
    assert await _count(db) == (before or 0) + 1


async def _write_then_fail(db: Database) -> None:
    """Add a row, flush it, then fail before the block ends."""
    async with db.write() as session:
        session.add(AuditEvent(actor_user_id=None, action="test.rollback", details={}))
        await session.flush()
        raise RuntimeError("boom")


async def test_a_write_that_raises_stores_nothing(db: Database) -> None:
    before = await _count(db)
    with pytest.raises(RuntimeError):
        await _write_then_fail(db)
    assert await _count(db) == before


async def test_two_writers_queue_instead_of_failing(db: Database) -> None:
    async def add(action: str) -> None:
        async with db.write() as session:
            session.add(AuditEvent(actor_user_id=None, action=action, details={}))
            await asyncio.sleep(0.05)

    before = await _count(db)
    await asyncio.gather(*(add(f"test.{i}") for i in range(5)))
    assert await _count(db) == before + 5
