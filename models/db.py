"""Engine and session factories; SQLite gets WAL, foreign keys, a busy timeout, BEGIN IMMEDIATE."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 15_000
AUTOCOMMIT = "AUTOCOMMIT"


def _set_sqlite_pragmas(foreign_keys: bool, dbapi_connection: Any, _record: Any) -> None:
    """Apply per-connection pragmas: WAL lets readers run beside the writer."""
    # Let SQLAlchemy, not the driver, decide when a transaction begins (see _begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 1 MB of page cache per connection (default 2 MB): the commune's database is small.
    cursor.execute("PRAGMA cache_size=-1024")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    """Take the write lock at BEGIN, so two writers queue on busy_timeout instead of failing.

    A deferred transaction that reads and then writes cannot wait for the lock in WAL mode:
    SQLite answers "database is locked" at once. Read-only sessions run in autocommit instead.
    """
    if connection.get_execution_options().get("isolation_level") != AUTOCOMMIT:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a file-based SQLite database so a fresh checkout just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, *, foreign_keys: bool = True) -> AsyncEngine:
    """Build the async engine for `url`, with the SQLite settings above where relevant.

    Migrations pass `foreign_keys=False`: Alembic's batch mode recreates tables, and with
    foreign keys on, dropping the old table would cascade into its children.
    """
    ensure_sqlite_folder(url)
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000} if is_sqlite else {}
    # Sessions always end their own transaction, so the pool's extra ROLLBACK on check-in is
    # a wasted round trip to the SQLite thread on every update. On a server it is cheap, and it
    # guards against a connection handed back mid-transaction (a task cancelled while waiting).
    reset = None if is_sqlite else "rollback"
    engine = create_async_engine(url, connect_args=connect_args, pool_reset_on_return=reset)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", partial(_set_sqlite_pragmas, foreign_keys))
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for writes and consistent reads; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for quick reads that never write: no transaction, so no lock is taken."""
    return async_sessionmaker(
        engine.execution_options(isolation_level=AUTOCOMMIT), expire_on_commit=False
    )
