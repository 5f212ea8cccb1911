"""User text in spreadsheets stays text: never a formula (CSV/formula injection, OWASP).

A head's Telegram name, a unit name, a note, a correction reason or a directive number may
start with `=`, `+`, `-` or `@`. Written into a cell as is, openpyxl stores a leading `=` as a
live formula (`=HYPERLINK(...)` would run when an officer opens the report). So:
- XLSX: fill the sheets as usual, then call `seal_text(workbook, own_formulas)` once before
  saving: every formula cell except the report's own (its totals) becomes a text cell;
- CSV: pass every user-supplied field through `csv_text`, which prefixes a quote as OWASP
  advises (spreadsheet programs show the text, and never evaluate it).
"""

from __future__ import annotations

from collections.abc import Collection

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

# What spreadsheet programs read as the start of a formula (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT = "s"
FORMULA = "f"


def seal_text(workbook: Workbook, own_formulas: Collection[Cell]) -> int:
    """Turn every formula cell not in `own_formulas` into text; return how many were turned."""
    keep = {id(cell) for cell in own_formulas}
    turned = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == FORMULA and id(cell) not in keep:
                    cell.data_type = TEXT
                    turned += 1
    return turned


def csv_text(value: str) -> str:
    """A CSV field that no spreadsheet program evaluates (a leading quote when needed)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
