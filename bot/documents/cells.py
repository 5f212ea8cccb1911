"""Writing people's text into spreadsheet cells: the one place that decides how it is stored.

A head's Telegram name, a unit name, a note, a correction reason or a directive number may
start with `=`, `+`, `-` or `@` (CSV/formula injection, OWASP). Written into a cell as is,
openpyxl stores a leading `=` as a live formula. So:
- XLSX: every cell of user text is written with `put_user_text`; then, as a second line of
  defence, `seal_text(workbook, keep)` turns every other formula cell into text before the
  workbook is saved, except the report's own totals (`keep`);
- CSV: every user-supplied field goes through `csv_text`, which prefixes a quote as OWASP
  advises (spreadsheet programs show the text and never evaluate it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # openpyxl (with numpy and Pillow, ~30 MB) loads only to write a workbook
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell

# What spreadsheet programs read as the start of a formula (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT = "s"
FORMULA = "f"


def put_user_text(cell: Cell, value: str | None) -> None:
    """Write text someone typed (a unit or person name, a subject, a document number).

    It stays text, never a formula: a unit named "=1+1" prints as typed. Only the report's
    own totals are formulas.
    """
    cell.value = value or None
    if cell.data_type == FORMULA:
        cell.data_type = TEXT


def seal_text(workbook: Workbook, keep: Callable[[Cell], bool]) -> int:
    """Turn every formula cell for which `keep` is false into text; return how many."""
    from openpyxl.cell.cell import Cell

    turned = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell, Cell) and cell.data_type == FORMULA and not keep(cell):
                    cell.data_type = TEXT
                    turned += 1
    return turned


def csv_text(value: str) -> str:
    """A CSV field that no spreadsheet program evaluates (a leading quote when needed)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
