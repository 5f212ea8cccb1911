"""The stairway test: every revision upgrades, downgrades and upgrades again (on both backends)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from models.migrate import alembic_config, downgrade_to, upgrade_to_head

T = TypeVar("T")


def _revisions(url: str) -> list[str]:
    """All revisions from base to head."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _on_connection(url: str, work: Callable[[Connection], T]) -> T:
    """Run `work` on a synchronous view of one connection of the app's async driver."""

    async def run() -> T:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    return _on_connection(url, lambda connection: set(inspect(connection).get_table_names()))


def test_stairway(blank_db_url: str) -> None:
    config = alembic_config(blank_db_url)
    revisions = _revisions(blank_db_url)
    assert revisions, "no migrations found"
    for revision in revisions:
        command.upgrade(config, revision)
        command.downgrade(config, "-1")
        command.upgrade(config, revision)


def test_head_creates_every_table_and_downgrade_removes_them(blank_db_url: str) -> None:
    url = blank_db_url
    upgrade_to_head(url)
    assert {"units", "contacts", "invites", "audit_events"} <= _tables(url)
    if url.startswith("sqlite"):
        mode = _on_connection(url, lambda c: c.execute(text("PRAGMA journal_mode")).scalar())
        assert mode == "wal"
    downgrade_to(url, "base")
    assert _tables(url) <= {"alembic_version"}


def test_migration_files_have_dated_names() -> None:
    folder = Path(__file__).parent.parent / "migrations" / "versions"
    names = [p.name for p in folder.glob("*.py")]
    assert names
    assert all(name[:4].isdigit() and name[4] == "_" and "-" in name for name in names)


def test_models_match_the_migrations(blank_db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from models import Base

    upgrade_to_head(blank_db_url)

    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    assert _on_connection(blank_db_url, compare) == []


def test_head_revision_constant_matches_alembic(blank_db_url: str) -> None:
    from models.migrate import HEAD_REVISION, current_revision

    url = blank_db_url
    assert _revisions(url)[-1] == HEAD_REVISION
    assert current_revision(url) is None
    upgrade_to_head(url)
    assert current_revision(url) == HEAD_REVISION
