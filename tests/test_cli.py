"""The CLI contract: exit codes, one-line errors, invites CSV and grants."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli


def test_run_without_token_exits_2_with_one_line(db_url: str) -> None:
    result = run_cli(["run"], DATABASE_URL=db_url)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_admin_ids_exits_2_with_one_line(db_url: str) -> None:
    result = run_cli(["run"], DATABASE_URL=db_url, ADMIN_IDS="12,abc", TELEGRAM_BOT_TOKEN="1:x")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "ADMIN_IDS" in result.stderr
    assert "Traceback" not in result.stderr


def test_invites_csv_lists_every_unit_with_a_usable_link(db_url: str) -> None:
    run_cli(["units", "import", "../data/units.sample.csv"], DATABASE_URL=db_url)
    first = run_cli(["invites", "--csv"], DATABASE_URL=db_url, BOT_USERNAME="eaknop_bot")
    assert first.returncode == 0, first.stderr
    rows = list(csv.reader(io.StringIO(first.stdout)))
    assert rows[0] == ["unit_code", "unit_name", "invite_code", "link"]
    assert len(rows) == 56
    for _, _, code, link in rows[1:]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,64}", code)
        assert link == f"https://t.me/eaknop_bot?start={code}"
    second = run_cli(["invites", "--csv"], DATABASE_URL=db_url, BOT_USERNAME="eaknop_bot")
    assert second.stdout == first.stdout, "codes must be stable between calls"


def test_invites_csv_needs_a_bot_name(db_url: str) -> None:
    result = run_cli(["invites", "--csv"], DATABASE_URL=db_url)
    assert result.returncode == 2
    assert "BOT_USERNAME" in result.stderr


def test_grant_from_cli(db_url: str) -> None:
    result = run_cli(["grant", "4242", "officer"], DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    bad = run_cli(["grant", "4242", "king"], DATABASE_URL=db_url)
    assert bad.returncode == 2


@pytest.mark.sqlite_only("creates the folder of a SQLite file")
def test_db_upgrade(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'x.db'}"
    result = run_cli(["db", "upgrade"], DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh" / "x.db").exists()


def test_the_running_bot_does_not_load_what_only_documents_or_webhooks_need() -> None:
    """`binhdan run` polling imports no spreadsheet, chart, PDF, QR, migration or web server."""
    import subprocess
    import sys

    heavy = ("openpyxl", "numpy", "matplotlib", "fpdf", "qrcode", "alembic", "aiohttp")
    probe = (
        "import sys; import bot.cli.main, bot.app, bot.runtime; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def _one_line_exit_2(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert text in line and "Traceback" not in result.stderr


def test_a_non_utf8_env_file_and_a_binary_broadcast_file_are_one_line(
    db_url: str, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_bytes(b"COMMUNE_NAME=X\xe3 Ea Kn\xf4p\n")  # Windows-1258
    _one_line_exit_2(
        run_cli(["units", "list"], DATABASE_URL=db_url, CLI_CWD=str(tmp_path)), "UTF-8"
    )
    (tmp_path / ".env").unlink()
    binary = tmp_path / "thong-bao.txt"
    binary.write_bytes(bytes(range(256)))
    _one_line_exit_2(run_cli(["broadcast", str(binary)], DATABASE_URL=db_url), "UTF-8")


@pytest.mark.sqlite_only("edits the SQLite file's revision directly")
def test_a_database_of_another_version_is_one_line(db_url: str) -> None:
    path = db_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    _one_line_exit_2(run_cli(["units", "list"], DATABASE_URL=db_url), "9999")


def test_an_unknown_database_server_is_one_line() -> None:
    url = "postgresql+asyncpg://binhdan:sai@127.0.0.1:1/binhdan"  # nothing listens on port 1
    _one_line_exit_2(run_cli(["units", "list"], DATABASE_URL=url), "127.0.0.1")
