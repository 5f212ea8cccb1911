"""The stairway test: every revision upgrades, downgrades and upgrades again (on both backends)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.migrate import alembic_config, downgrade_to, upgrade_to_head

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
    from bot.migrate import HEAD_REVISION, current_revision

    url = blank_db_url
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


def _at(url: str, minute: int) -> datetime:
    """A report time as revision 0007 stored it: naive UTC (timestamptz came with 0008)."""
    return datetime(2026, 11, 24, 8, minute, tzinfo=UTC).replace(tzinfo=None)


def _seed_reports(url: str) -> None:
    """Units, reports and unit_progress as revision 0007 stored them."""

    def seed(connection: Connection) -> None:
        for unit in (1, 2, 3):
            connection.execute(
                text(
                    "INSERT INTO units (id, code, name, kind, adults, active, created_at, "
                    "updated_at) VALUES (:id, :code, :name, 'thon', 1000, :yes, :at, :at)"
                ),
                {
                    "id": unit,
                    "code": f"T{unit}",
                    "name": f"Thôn {unit}",
                    "yes": True,
                    "at": _at(url, 0),
                },
            )
        for number, (unit, minute, enrolled, completed) in enumerate(CARRY_ROWS, start=1):
            connection.execute(
                text(
                    "INSERT INTO reports (id, unit_id, period_key, enrolled, completed, "
                    "is_correction, reporter_name, on_behalf, reported_at) VALUES (:id, :unit, "
                    "'2026-W48', :enrolled, :completed, :no, '', :no, :at)"
                ),
                {
                    "id": number,
                    "unit": unit,
                    "enrolled": enrolled,
                    "completed": completed,
                    "no": False,
                    "at": _at(url, minute),
                },
            )
        for unit, enrolled in ((1, 130), (2, 30), (3, 10)):
            connection.execute(
                text(
                    "INSERT INTO unit_progress (unit_id, enrolled, completed, reported_at, "
                    "reporter_name, period_key) VALUES (:unit, :enrolled, NULL, :at, '', "
                    "'2026-W48')"
                ),
                {"unit": unit, "enrolled": enrolled, "at": _at(url, 3)},
            )
        connection.commit()

    _on_connection(url, seed)


def _read(url: str, query: str) -> list[tuple[object, ...]]:
    """Rows of a query; booleans read back as 0/1 on every database."""
    rows = _on_connection(url, lambda c: [tuple(row) for row in c.execute(text(query))])
    return [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows]


def test_0010_keeps_the_completed_figure_a_one_figure_report_wiped(blank_db_url: str) -> None:
    url = blank_db_url
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


def test_0013_gathers_the_notes_no_one_saw_into_one_open_thread_per_unit(
    blank_db_url: str,
) -> None:
    url = blank_db_url
    config = alembic_config(url)
    command.upgrade(config, "0012")

    def seed(connection: Connection) -> None:
        for unit in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO units (id, code, name, kind, adults, active, created_at, "
                    "updated_at) VALUES (:id, :code, :name, 'thon', 1000, :yes, :at, :at)"
                ),
                {
                    "id": unit,
                    "code": f"T{unit}",
                    "name": f"Thôn {unit}",
                    "yes": True,
                    "at": _at(url, 0),
                },
            )
        # Unit 1: two notes and a report without one; unit 2: an empty note only.
        for number, (unit, minute, note, user) in enumerate(
            [
                (1, 1, "Thiếu máy", 11),
                (1, 2, None, 11),
                (1, 3, "Cần tài liệu", None),
                (2, 1, "", 22),
            ],
            start=1,
        ):
            connection.execute(
                text(
                    "INSERT INTO reports (id, unit_id, period_key, enrolled, is_correction, "
                    "reporter_user_id, reporter_name, on_behalf, note, reported_at, "
                    "completed_carried) VALUES (:id, :unit, '2026-W48', 10, :no, :user, 'Ông Ba', "
                    ":no, :note, :at, :no)"
                ),
                {
                    "id": number,
                    "unit": unit,
                    "note": note,
                    "user": user,
                    "no": False,
                    "at": _at(url, minute),
                },
            )
        connection.commit()

    _on_connection(url, seed)
    command.upgrade(config, "0013")
    assert _read(url, "SELECT id, unit_id, status FROM threads") == [(1, 1, "open")]
    assert _read(
        url,
        "SELECT thread_id, side, kind, author_user_id, text, report_id FROM thread_messages "
        "ORDER BY id",
    ) == [(1, "unit", "note", 11, "Thiếu máy", 1), (1, "unit", "note", 0, "Cần tài liệu", 3)]
    command.downgrade(config, "0012")
    assert "threads" not in _tables(url)
    assert _read(url, "SELECT note FROM reports WHERE id = 1") == [("Thiếu máy",)]


def test_0018_remembers_merges_made_before_it_from_their_audit_events(blank_db_url: str) -> None:
    url = blank_db_url
    config = alembic_config(url)
    command.upgrade(config, "0007")
    _seed_reports(url)  # units T1, T2, T3
    command.upgrade(config, "0017")
    merged_at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)

    def merge_into_t2(connection: Connection) -> None:
        # T3 was merged into T2; so was T1, which an old list has brought back since.
        connection.execute(text("UPDATE units SET active = :no WHERE code = 'T3'"), {"no": False})
        for old in ("T1", "T3"):
            connection.execute(
                text(
                    "INSERT INTO audit_events (action, details, created_at) "
                    "VALUES ('units.merged', :details, :at)"
                ),
                {"details": f'{{"old": "{old}", "new": "T2", "people": 1}}', "at": merged_at},
            )
        connection.commit()

    _on_connection(url, merge_into_t2)
    command.upgrade(config, "0018")
    rows = _read(url, "SELECT code, merged_into_id, merged_at FROM units ORDER BY id")
    assert [(code, into) for code, into, _at in rows] == [("T1", None), ("T2", None), ("T3", 2)]
    assert rows[2][2] is not None and rows[0][2] is None
    command.downgrade(config, "0017")
    assert "merged_into_id" not in {
        column["name"] for column in _on_connection(url, lambda c: inspect(c).get_columns("units"))
    }
