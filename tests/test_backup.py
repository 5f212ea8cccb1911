"""Backups: a consistent online copy, and a restore that brings back exactly that state."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.migrate import HEAD_REVISION
from bot.services.maintenance.backup import running_lock, sqlite_path
from tests.cli_helpers import run_cli


def _units(db_url: str) -> list[str]:
    return run_cli(["units", "list"], DATABASE_URL=db_url).stdout.splitlines()


def test_backup_then_restore_brings_back_exactly_that_state(db_url: str, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("code,name,kind,adults\nT1,Thôn 1,thon,10\n", "utf-8")
    assert run_cli(["units", "import", str(first)], DATABASE_URL=db_url).returncode == 0
    before = _units(db_url)
    copy = tmp_path / "sao-luu" / "binhdan-2026-11-26.db"
    result = run_cli(["db", "backup", str(copy)], DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    second = tmp_path / "b.csv"
    second.write_text("code,name,kind,adults\nT2,Thôn 2,thon,20\nT1,Thôn Một,thon,11\n", "utf-8")
    run_cli(["units", "import", str(second)], DATABASE_URL=db_url)
    assert _units(db_url) != before
    result = run_cli(["db", "restore", str(copy)], DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    assert _units(db_url) == before


@pytest.mark.sqlite_only("the running bot holds a lock file next to the SQLite file")
def test_restore_is_refused_while_the_bot_runs(db_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    assert run_cli(["db", "backup", str(copy)], DATABASE_URL=db_url).returncode == 0
    with running_lock(sqlite_path(db_url)):
        result = run_cli(["db", "restore", str(copy)], DATABASE_URL=db_url)
    assert result.returncode == 2 and "đang chạy" in result.stderr


def test_restore_refuses_a_file_that_is_not_a_backup(db_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database")
    result = run_cli(["db", "restore", str(junk)], DATABASE_URL=db_url)
    assert result.returncode == 2 and "không phải bản sao lưu" in result.stderr


def _set_revision(db_url: str, revision: str) -> None:
    async def run() -> None:
        engine = create_async_engine(db_url, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text("UPDATE alembic_version SET version_num = :v"), {"v": revision}
                )
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_a_backup_from_a_newer_version_restores_nothing(db_url: str, tmp_path: Path) -> None:
    units = tmp_path / "a.csv"
    units.write_text("code,name,kind,adults\nT1,Thôn 1,thon,10\n", "utf-8")
    assert run_cli(["units", "import", str(units)], DATABASE_URL=db_url).returncode == 0
    _set_revision(db_url, "9999")  # as a newer version of the bot would leave it
    copy = tmp_path / "newer.backup"
    assert run_cli(["db", "backup", str(copy)], DATABASE_URL=db_url).returncode == 0
    _set_revision(db_url, HEAD_REVISION)
    units.write_text("code,name,kind,adults\nT2,Thôn 2,thon,20\n", "utf-8")
    assert run_cli(["units", "import", str(units)], DATABASE_URL=db_url).returncode == 0
    before = _units(db_url)
    result = run_cli(["db", "restore", str(copy)], DATABASE_URL=db_url)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "9999" in result.stderr
    assert _units(db_url) == before


@pytest.mark.sqlite_only("damages the SQLite file itself")
def test_a_damaged_database_is_not_backed_up(db_url: str, tmp_path: Path) -> None:
    units = tmp_path / "a.csv"
    rows = "".join(f"T{i},Thôn {i},thon,{i + 10}\n" for i in range(2000))
    units.write_text("code,name,kind,adults\n" + rows, "utf-8")
    assert run_cli(["units", "import", str(units)], DATABASE_URL=db_url).returncode == 0
    database = sqlite_path(db_url)
    data = bytearray(database.read_bytes())  # the copy below is made to fail
    page = 4096
    for offset in range(page * 3, min(len(data), page * 8), 7):
        data[offset] = (data[offset] + 91) % 256  # scribble over some table pages
    database.write_bytes(bytes(data))
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"yesterday's good backup")
    result = run_cli(["db", "backup", str(copy)], DATABASE_URL=db_url)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1
    # The backup already there is kept whole, and nothing half-written is left beside it.
    assert copy.read_bytes() == b"yesterday's good backup"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.db"]


@pytest.mark.parametrize("target", ["/dev/full", "a-file/copy.db"])
@pytest.mark.sqlite_only("writes SQLite pages to the target")
def test_a_backup_that_cannot_be_written_is_one_line(
    db_url: str, tmp_path: Path, target: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = run_cli(["db", "backup", str(tmp_path / target)], DATABASE_URL=db_url)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
