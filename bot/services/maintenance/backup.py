"""Online backup and restore: SQLite's backup API, or pg_dump/pg_restore for PostgreSQL.

Also the lock file that shows a bot runs on a SQLite database.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import fcntl
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from bot.migrate import is_known_revision


class Problem(enum.StrEnum):
    """Why a backup or restore cannot be done."""

    UNSUPPORTED = "unsupported"
    BOT_RUNNING = "bot_running"
    NO_DATABASE = "no_database"
    NO_FILE = "no_file"
    NOT_A_BACKUP = "not_a_backup"
    UNKNOWN_REVISION = "unknown_revision"
    CORRUPT = "corrupt"
    BAD_TARGET = "bad_target"
    NO_TOOL = "no_tool"
    TOOL_FAILED = "tool_failed"


class BackupError(Exception):
    """A backup or restore that cannot be done: the problem and the values it names."""

    def __init__(self, problem: Problem, **values: str) -> None:
        """Keep the problem and its values (a path, a tool's name, its error line)."""
        super().__init__(problem.value)
        self.problem = problem
        self.values = values


@dataclass(frozen=True)
class Written:
    """How big a backup is: SQLite pages, or kilobytes of a pg_dump archive."""

    amount: int
    unit: str


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL, or BackupError for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(Problem.UNSUPPORTED)
    return Path(url.database)


def lock_path(database: Path) -> Path:
    """The lock file a running bot holds next to its database."""
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def running_lock(database: Path, *, shared: bool = False) -> Iterator[IO[str]]:
    """Hold the database's run lock (released by the OS even if the process is killed).

    A running bot holds it shared (a leader and its standbys at once); a restore holds it
    exclusive, so it is refused while any bot runs, and no bot starts during a restore.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path(database).open("a")
    try:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(Problem.BOT_RUNNING) from None
        yield handle
    finally:
        handle.close()


def _check_target(target: Path) -> None:
    """A backup is a file: never a folder or a device (which the rename would replace)."""
    if target.exists() and not target.is_file():
        raise BackupError(Problem.BAD_TARGET, path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)


def backup(database: Path, target: Path) -> int:
    """Copy a consistent snapshot with SQLite's online backup API; return its page count."""
    if not database.is_file():
        raise BackupError(Problem.NO_DATABASE, path=str(database))
    _check_target(target)
    # Written beside the target, then renamed: a failed backup never replaces a good one.
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        pages, intact = _copy_sqlite(database, partial)
        if not intact:
            raise BackupError(Problem.CORRUPT, path=str(database))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return pages


def _copy_sqlite(database: Path, copy: Path) -> tuple[int, bool]:
    """Copy with the online backup API; the copy's page count and whether it is intact."""
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    destination = sqlite3.connect(copy)
    try:
        source.backup(destination)
        pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
        # The copy has the source's pages: a damaged database gives a damaged backup.
        intact = destination.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        destination.close()
        source.close()
    return pages, intact


def _check_backup(path: Path) -> None:
    """Refuse files that are not a database made by this project."""
    if not path.is_file():
        raise BackupError(Problem.NO_FILE, path=str(path))
    revision = None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
            ok = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        ok = False
    if not ok:
        raise BackupError(Problem.NOT_A_BACKUP, path=str(path))
    _check_revision(path, revision)


def _check_revision(path: Path, revision: str | None) -> None:
    """Refuse a backup this version cannot run on (made by a newer one), before any change."""
    if not is_known_revision(revision):
        raise BackupError(Problem.UNKNOWN_REVISION, path=str(path), revision=str(revision))


def restore(backup_file: Path, database: Path) -> None:
    """Replace the database's content with a backup; refused while the bot runs."""
    _check_backup(backup_file)
    with running_lock(database):
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        destination = sqlite3.connect(database)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()


def backup_database(database_url: str, target: Path) -> Written:
    """Back up the database behind `database_url` into `target`; return what was written."""
    if is_postgresql(database_url):
        return Written(pg_backup(database_url, target) // 1024, "kb")
    return Written(backup(sqlite_path(database_url), target), "pages")


def restore_database(backup_file: Path, database_url: str) -> None:
    """Restore a backup made by `backup_database` into the database behind `database_url`."""
    if is_postgresql(database_url):
        pg_restore(backup_file, database_url)
    else:
        restore(backup_file, sqlite_path(database_url))


def is_postgresql(database_url: str) -> bool:
    """True for postgresql:// and postgresql+driver:// URLs."""
    return make_url(database_url).get_backend_name() == "postgresql"


# Query parameters libpq understands; the rest (asyncpg's own) are dropped. `ssl` is asyncpg's
# name for libpq's `sslmode`.
LIBPQ_PARAMETERS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "connect_timeout",
        "application_name",
        "options",
        "host",
        "port",
        "target_session_attrs",
    }
)


def libpq_connection(database_url: str) -> tuple[str, dict[str, str]]:
    """The libpq URL (without password) for pg_dump/pg_restore, and the environment to add.

    The password travels in PGPASSWORD, never on the command line, where `ps` would show it.
    """
    url = make_url(database_url)
    query = {key: value for key, value in url.query.items() if key in LIBPQ_PARAMETERS}
    if "ssl" in url.query and "sslmode" not in query:
        query["sslmode"] = url.query["ssl"]
    libpq = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=query,
    )
    env = {"PGPASSWORD": url.password} if url.password else {}
    return libpq.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    """The path of pg_dump/pg_restore, or BackupError saying it is missing."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(Problem.NO_TOOL, tool=name)
    return path


def _run_pg_tool(arguments: list[str], extra_env: dict[str, str]) -> str:
    """Run a PostgreSQL client tool; its first error line becomes a BackupError."""
    result = subprocess.run(  # noqa: S603 - a PostgreSQL tool found on PATH, no shell
        arguments,
        capture_output=True,
        text=True,
        env={**os.environ, **extra_env},
        check=False,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[0] if lines else f"exit status {result.returncode}"
        raise BackupError(Problem.TOOL_FAILED, tool=Path(arguments[0]).name, detail=detail)
    return result.stdout


def pg_backup(database_url: str, target: Path) -> int:
    """A consistent online copy in pg_dump's custom format; return its size in bytes."""
    pg_dump = _pg_tool("pg_dump")
    dsn, env = libpq_connection(database_url)
    _check_target(target)
    # Written beside the target, then renamed: a failed dump never replaces a good one.
    partial = target.with_name(target.name + ".part")
    try:
        _run_pg_tool([pg_dump, "--format=custom", f"--file={partial}", f"--dbname={dsn}"], env)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def _check_pg_backup(pg_restore_path: str, path: Path) -> None:
    """Refuse files that are not a pg_dump archive of this project's database."""
    if not path.is_file():
        raise BackupError(Problem.NO_FILE, path=str(path))
    try:
        listing = _run_pg_tool([pg_restore_path, "--list", str(path)], {})
    except BackupError:
        listing = ""
    if not re.search(r"\bTABLE (DATA )?\S+ alembic_version\b", listing):
        raise BackupError(Problem.NOT_A_BACKUP, path=str(path))
    data = _run_pg_tool(
        [pg_restore_path, "--data-only", "--table=alembic_version", "--file=-", str(path)], {}
    )
    # The COPY block's one data line is the revision ("\." ends the block).
    match = re.search(r"^COPY \S*alembic_version .*?\n(\S+)\n", data, re.MULTILINE)
    _check_revision(path, match.group(1) if match else None)


OTHER_SESSIONS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


async def _other_sessions(database_url: str) -> int:
    """How many other client sessions are connected to the database."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(OTHER_SESSIONS)
    finally:
        await engine.dispose()
    return int(count or 0)


def pg_restore(backup_file: Path, database_url: str) -> None:
    """Replace the database's content with a pg_dump archive, in one transaction."""
    pg_restore_path = _pg_tool("pg_restore")
    _check_pg_backup(pg_restore_path, backup_file)
    if asyncio.run(_other_sessions(database_url)):
        # A running bot is connected; --clean would drop tables under its feet.
        raise BackupError(Problem.BOT_RUNNING)
    dsn, env = libpq_connection(database_url)
    _run_pg_tool(
        [
            pg_restore_path,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--no-owner",
            f"--dbname={dsn}",
            str(backup_file),
        ],
        env,
    )
