"""Electing one leader among the processes that share a database.

PostgreSQL: a session-level `pg_try_advisory_lock` on a connection of its own, kept open while
leading. The lock lives exactly as long as that session: when the leader dies its connection
closes and the server releases the lock at once (a leader whose host vanished is cut off by
the TCP keepalives set on the session, within about `KEEPALIVE_SECONDS`), and a standby's next
try wins. A leader checks its connection every few seconds; a check that fails means it may
have lost the lock, so it stops leading.

SQLite: an exclusive `flock` on a file beside the database (the OS releases it when the
process dies, even by SIGKILL).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

# "binhdan" in ASCII and a last byte for this purpose (the migrations use the bare word).
LEADER_LOCK_KEY = 0x62696E6864616E02
# The server drops the session of a leader whose host stopped answering after about
# idle + interval × count seconds.
KEEPALIVE_IDLE = 5
KEEPALIVE_INTERVAL = 2
KEEPALIVE_COUNT = 3
KEEPALIVE_SECONDS = KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT


class LeaderLock(Protocol):
    """One process at a time holds it."""

    async def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process holds it now."""
        ...

    async def check(self) -> bool:
        """Whether the lock is surely still held (False: stop leading)."""
        ...

    async def release(self) -> None:
        """Let the lock go (the next standby takes it)."""
        ...


class PostgresLeaderLock:
    """`pg_try_advisory_lock` on a dedicated connection (see the module)."""

    def __init__(self, database_url: str, timeout: float) -> None:
        """Prepare; nothing connects until the first try."""
        self._engine = create_async_engine(database_url, poolclass=NullPool)
        self._timeout = timeout
        self._connection: AsyncConnection | None = None
        self._held = False

    async def _connect(self) -> AsyncConnection:
        """The lock's own connection, in autocommit, with short server-side keepalives."""
        if self._connection is None:
            connection = await asyncio.wait_for(self._engine.connect(), self._timeout)
            try:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                for name, value in (
                    ("tcp_keepalives_idle", KEEPALIVE_IDLE),
                    ("tcp_keepalives_interval", KEEPALIVE_INTERVAL),
                    ("tcp_keepalives_count", KEEPALIVE_COUNT),
                    ("application_name", "binhdan-leader"),
                ):
                    await connection.execute(
                        text("SELECT set_config(:name, :value, false)"),
                        {"name": name, "value": str(value)},
                    )
            except BaseException:
                await self._close(connection)
                raise
            self._connection = connection
        return self._connection

    async def try_acquire(self) -> bool:
        """Try the advisory lock once; a connection problem counts as not acquired."""
        if self._held:
            return await self.check()
        try:
            connection = await self._connect()
            got = await asyncio.wait_for(
                connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
                ),
                self._timeout,
            )
        except (Exception, TimeoutError):
            await self._drop()
            return False
        self._held = bool(got)
        return self._held

    async def check(self) -> bool:
        """Ask the lock's connection for a sign of life."""
        if not self._held or self._connection is None:
            return False
        try:
            await asyncio.wait_for(self._connection.scalar(text("SELECT 1")), self._timeout)
        except (Exception, TimeoutError):
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        """Unlock and close the connection (closing alone would release it too)."""
        if self._connection is not None and self._held:
            with contextlib.suppress(Exception, TimeoutError):
                await asyncio.wait_for(
                    self._connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK_KEY}
                    ),
                    self._timeout,
                )
        await self._drop()
        await self._engine.dispose()

    async def _drop(self) -> None:
        """Forget the connection (and with it the lock)."""
        connection, self._connection, self._held = self._connection, None, False
        if connection is not None:
            await self._close(connection)

    async def _close(self, connection: AsyncConnection) -> None:
        """Close a connection that may be broken, without waiting long."""
        with contextlib.suppress(Exception, TimeoutError):
            await connection.invalidate()
        with contextlib.suppress(Exception, TimeoutError):
            await asyncio.wait_for(connection.close(), self._timeout)


class FileLeaderLock:
    """An exclusive `flock` on a file (SQLite: beside the database)."""

    def __init__(self, path: Path) -> None:
        """Prepare; nothing is opened until the first try."""
        self._path = path
        self._handle: IO[str] | None = None

    async def try_acquire(self) -> bool:
        """Try the lock without waiting."""
        if self._handle is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    async def check(self) -> bool:
        """A file lock cannot be lost while the process lives."""
        return self._handle is not None

    async def release(self) -> None:
        """Close the file, which releases the lock."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def leader_file(database: Path) -> Path:
    """The leader's lock file beside a SQLite database."""
    return database.with_name(database.name + ".leader")


def leader_lock_for(database_url: str, timeout: float) -> LeaderLock:
    """The right lock for this database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return FileLeaderLock(leader_file(Path(str(url.database))))
    return PostgresLeaderLock(database_url, timeout)
