"""The database seam: `Database.read()` and `Database.write()`, and SQLite's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
# An execution option of our own: read transactions begin DEFERRED on SQLite (no write lock).
READ_ONLY = "binhdan_read_only"


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


def _begin(connection: Connection) -> None:
    """Writers take the write lock at BEGIN, so two of them queue on busy_timeout.

    A deferred transaction that reads and then writes cannot wait for the lock in WAL mode:
    SQLite answers "database is locked" at once. Readers begin DEFERRED: in WAL mode that is a
    consistent snapshot that never blocks the writer.
    """
    options = connection.get_execution_options()
    if options.get("isolation_level") == AUTOCOMMIT:
        return
    connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")


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
        event.listen(engine.sync_engine, "begin", _begin)
    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for writes; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _read_options(engine: AsyncEngine) -> dict[str, Any]:
    """How a read-only snapshot is asked for on this database."""
    if engine.dialect.name == "postgresql":
        return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    return {READ_ONLY: True}


class Database:
    """The one door to the database: reads say they are reads, writes are one transaction.

    Nothing talks to Telegram inside either block: callers take the result out, then reply.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        """Wrap an engine; `open_database` builds one from a URL."""
        self.engine = engine
        self._writes = make_session_factory(engine)
        self._reads = async_sessionmaker(
            engine.execution_options(**_read_options(engine)), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """The database's dialect name: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """One consistent snapshot for reading; it takes no write lock."""
        async with self._reads() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction, committed when the block ends and rolled back if it raises."""
        async with self._writes.begin() as session:
            yield session

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def open_database(url: str) -> Database:
    """Build the database for `url` (the engine is lazy: nothing connects yet)."""
    return Database(make_engine(url))
