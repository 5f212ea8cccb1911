"""The stairway test: every revision upgrades, downgrades and upgrades again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from models.migrate import alembic_config, downgrade_to, upgrade_to_head


def _revisions(url: str) -> list[str]:
    """All revisions from base to head."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_stairway(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"
    config = alembic_config(url)
    revisions = _revisions(url)
    assert revisions, "no migrations found"
    for revision in revisions:
        command.upgrade(config, revision)
        command.downgrade(config, "-1")
        command.upgrade(config, revision)


def test_head_creates_every_table_and_downgrade_removes_them(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade_to_head(url)
    sync = create_engine(f"sqlite:///{path}")
    tables = set(inspect(sync).get_table_names())
    assert {"units", "contacts", "invites", "audit_events"} <= tables
    with sync.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    downgrade_to(url, "base")
    assert set(inspect(sync).get_table_names()) <= {"alembic_version"}
    sync.dispose()


def test_migration_files_have_dated_names() -> None:
    folder = Path(__file__).parent.parent / "migrations" / "versions"
    names = [p.name for p in folder.glob("*.py")]
    assert names
    assert all(name[:4].isdigit() and name[4] == "_" and "-" in name for name in names)


def test_models_match_the_migrations(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from models import Base

    path = tmp_path / "compare.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{path}")
    sync = create_engine(f"sqlite:///{path}")
    with sync.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    sync.dispose()
    assert differences == []


def test_head_revision_constant_matches_alembic(tmp_path: Path) -> None:
    from models.migrate import HEAD_REVISION, current_revision

    url = f"sqlite+aiosqlite:///{tmp_path / 'head.db'}"
    assert _revisions(url)[-1] == HEAD_REVISION
    assert current_revision(url) is None
    upgrade_to_head(url)
    assert current_revision(url) == HEAD_REVISION
