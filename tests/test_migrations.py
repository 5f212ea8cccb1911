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


CARRY_ROWS = [
    # (unit, minutes, enrolled, completed): unit 1 reported 40 completed, then only enrolled.
    (1, 1, 100, 40),
    (1, 2, 120, None),
    (1, 3, 130, None),
    # Unit 2: a completed figure above a later enrolled one is not carried into it.
    (2, 1, 50, 45),
    (2, 2, 30, None),
    # Unit 3 never gave a completed figure: nothing to keep.
    (3, 1, 10, None),
]


def _seed_reports(url: str) -> None:
    """Units, reports and unit_progress as revision 0007 stored them."""
    sync = create_engine(url.replace("+aiosqlite", ""))
    with sync.begin() as connection:
        for unit in (1, 2, 3):
            connection.execute(
                text(
                    "INSERT INTO units (id, code, name, kind, adults, active, created_at, "
                    "updated_at) VALUES (:id, :code, :name, 'thon', 1000, 1, "
                    "'2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                ),
                {"id": unit, "code": f"T{unit}", "name": f"Thôn {unit}"},
            )
        for number, (unit, minute, enrolled, completed) in enumerate(CARRY_ROWS, start=1):
            connection.execute(
                text(
                    "INSERT INTO reports (id, unit_id, period_key, enrolled, completed, "
                    "is_correction, reporter_name, on_behalf, reported_at) VALUES (:id, :unit, "
                    "'2026-W48', :enrolled, :completed, 0, '', 0, :at)"
                ),
                {
                    "id": number,
                    "unit": unit,
                    "enrolled": enrolled,
                    "completed": completed,
                    "at": f"2026-11-24 08:0{minute}:00",
                },
            )
        for unit, enrolled in ((1, 130), (2, 30), (3, 10)):
            connection.execute(
                text(
                    "INSERT INTO unit_progress (unit_id, enrolled, completed, reported_at, "
                    "reporter_name, period_key) VALUES (:unit, :enrolled, NULL, "
                    "'2026-11-24 08:03:00', '', '2026-W48')"
                ),
                {"unit": unit, "enrolled": enrolled},
            )
    sync.dispose()


def _read(url: str, query: str) -> list[tuple[object, ...]]:
    """Rows of a query, with a plain sync engine."""
    sync = create_engine(url.replace("+aiosqlite", ""))
    with sync.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(query))]
    sync.dispose()
    return rows


def test_0010_keeps_the_completed_figure_a_one_figure_report_wiped(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'carry.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0007")
    _seed_reports(url)
    command.upgrade(config, "0010")
    assert _read(url, "SELECT id, completed, completed_carried FROM reports ORDER BY id") == [
        (1, 40, 0),
        (2, 40, 1),
        (3, 40, 1),
        (4, 45, 0),
        (5, None, 0),
        (6, None, 0),
    ]
    # The current figures follow the newest report of each unit.
    assert _read(url, "SELECT unit_id, completed FROM unit_progress ORDER BY unit_id") == [
        (1, 40),
        (2, None),
        (3, None),
    ]
    # The history keeps what was said: the downgrade puts the NULLs back.
    command.downgrade(config, "0009")
    assert [row[0] for row in _read(url, "SELECT completed FROM reports ORDER BY id")] == [
        40,
        None,
        None,
        45,
        None,
        None,
    ]
    assert _read(url, "SELECT completed FROM unit_progress ORDER BY unit_id") == [
        (None,),
        (None,),
        (None,),
    ]
