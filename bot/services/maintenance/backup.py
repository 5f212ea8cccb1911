"""Online backup and restore of the SQLite database, and the lock that shows the bot runs."""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is shown to the user."""


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL, or BackupError for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("Sao lưu/khôi phục chỉ hỗ trợ cơ sở dữ liệu SQLite dạng tệp.")
    return Path(url.database)


def lock_path(database: Path) -> Path:
    """The lock file a running bot holds next to its database."""
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def running_lock(database: Path) -> Iterator[IO[str]]:
    """Hold the database's run lock (released by the OS even if the process is killed)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path(database).open("w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError("Bot đang chạy với cơ sở dữ liệu này.") from None
        yield handle
    finally:
        handle.close()


def backup(database: Path, target: Path) -> int:
    """Copy a consistent snapshot with SQLite's online backup API; return its page count."""
    if not database.is_file():
        raise BackupError(f"Không tìm thấy cơ sở dữ liệu {database}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
        pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
    finally:
        destination.close()
        source.close()
    return pages


def _check_backup(path: Path) -> None:
    """Refuse files that are not a database made by this project."""
    if not path.is_file():
        raise BackupError(f"Không tìm thấy tệp {path}.")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            connection.execute("SELECT version_num FROM alembic_version").fetchone()
            ok = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        ok = False
    if not ok:
        raise BackupError(f"{path} không phải bản sao lưu hợp lệ của bot.")


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
