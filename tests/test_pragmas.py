"""SQLite runs with WAL, foreign keys and a busy timeout on every connection."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@pytest.mark.sqlite_only("WAL, foreign_keys and busy_timeout pragmas")
async def test_sqlite_pragmas(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        busy_timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar()
        assert busy_timeout is not None and busy_timeout >= 5000
