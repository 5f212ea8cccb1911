"""Signals between processes sharing one database: version counters and once-only markers.

A change that other processes must notice (a role, a schedule) bumps a named counter in the
same transaction; every process reads the counters every few seconds and reacts when one
moved (drops its identity cache, re-registers its schedule jobs). A marker row is inserted
with ON CONFLICT DO NOTHING, so of several processes exactly one does the once-only work.
"""

from __future__ import annotations

import os
import secrets
import socket

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import SyncMark, upsert
from models.base import utcnow
from models.db import Database

# Roles, units, statuses and languages: what the access gate caches per user.
IDENTITIES = "identities"
# Any schedule created, changed, paused or deleted.
SCHEDULES = "schedules"
# The default schedules were created (once, by one process).
DEFAULT_SCHEDULES = "schedules.defaults"

# Transaction-scoped PostgreSQL advisory lock keys ("binhdan" + a byte per purpose).
UNIT_INVITES_LOCK = 0x62696E6864616E01


def process_name() -> str:
    """A name for this process, unique among all that share the database (host:pid:random)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


async def bump(session: AsyncSession, name: str) -> None:
    """Move a counter on, in the caller's transaction (other processes see it after commit)."""
    statement = upsert.insert(session, SyncMark).values(name=name, version=1, changed_at=utcnow())
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"version": SyncMark.version + 1, "changed_at": statement.excluded.changed_at},
        )
    )


async def mark_once(session: AsyncSession, name: str) -> bool:
    """Insert a marker; True only for the one transaction that inserted it."""
    inserted = await session.scalar(
        upsert.insert(session, SyncMark)
        .values(name=name, version=0, changed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(SyncMark.name)
    )
    return inserted is not None


async def version_of(session: AsyncSession, name: str) -> int:
    """One counter's value in the caller's snapshot (0 before its first bump)."""
    version = await session.scalar(select(SyncMark.version).where(SyncMark.name == name))
    return int(version or 0)


async def versions(db: Database) -> dict[str, int]:
    """Every counter's current value."""
    async with db.read() as session:
        rows = await session.execute(select(SyncMark.name, SyncMark.version))
        return {name: int(version) for name, version in rows}


async def serialize(session: AsyncSession, key: int) -> None:
    """Make transactions that call this with the same key run one after another.

    PostgreSQL: a transaction-level advisory lock, released at commit or rollback. SQLite
    needs nothing: every write transaction holds the database's one write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
