"""Apply Alembic migrations from code: the app never uses `create_all`."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

import migrations

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision; tests check it against Alembic's own view of migrations/versions.
HEAD_REVISION = "0018"

SELECT_VERSION = text("SELECT version_num FROM alembic_version")
T = TypeVar("T")


def alembic_config(database_url: str) -> Config:
    """Build an Alembic config pointing at the packaged migrations and `database_url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def is_known_revision(revision: str | None) -> bool:
    """Whether `revision` is one of this version's migrations (a newer version's is not)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if not revision:
        return False
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def upgrade_to_head(database_url: str) -> None:
    """Migrate the database at `database_url` to the newest revision."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")


def downgrade_to(database_url: str, revision: str) -> None:
    """Migrate the database down to `revision` ("base" for empty)."""
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None when unversioned), read without loading Alembic.

    SQLite is read through the standard library's driver; other databases through the app's
    own async driver (asyncpg for PostgreSQL), so no second driver is needed.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_revision(url)
    return _run_coroutine(_async_revision(database_url))


def _sqlite_revision(url: URL) -> str | None:
    """Read alembic_version with the synchronous pysqlite driver."""
    engine = create_engine(url.set(drivername="sqlite"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            value = connection.execute(SELECT_VERSION).scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    return str(value) if value is not None else None


async def _async_revision(database_url: str) -> str | None:
    """Read alembic_version over one connection of the async driver."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            value = (await connection.execute(SELECT_VERSION)).scalar()
    except (SQLAlchemyError, OSError):
        # No table yet, or no server: the upgrade that follows reports the real problem.
        return None
    finally:
        await engine.dispose()
    return str(value) if value is not None else None


def _run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, in a worker thread if an event loop already runs here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def ensure_head(database_url: str) -> None:
    """Migrate only when needed: Alembic costs memory that an up-to-date bot can keep."""
    from models.db import ensure_sqlite_folder

    ensure_sqlite_folder(database_url)
    if current_revision(database_url) != HEAD_REVISION:
        upgrade_to_head(database_url)


def check_writable(database_url: str) -> None:
    """Raise SQLAlchemyError now if the database cannot be written (a read-only SQLite file).

    Without this, a read-only file is found by the first background task that writes.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return
    engine = create_engine(url.set(drivername="sqlite"))
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                # A write that changes nothing: SQLite refuses it on a read-only file.
                connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
            finally:
                connection.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()


async def upgrade_to_head_async(database_url: str) -> None:
    """Run the upgrade in a worker thread, since Alembic's env starts its own event loop."""
    await asyncio.to_thread(upgrade_to_head, database_url)
