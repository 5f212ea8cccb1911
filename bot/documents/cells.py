"""Writing people's text into spreadsheet cells: the one place that decides how it is stored."""

from __future__ import annotations

from openpyxl.cell.cell import Cell


def put_user_text(cell: Cell, value: str | None) -> None:
    """Write text someone typed (a unit or person name, a subject, a document number).

    It stays text, never a formula: a unit named "=1+1" prints as typed. Only the report's
    own totals are formulas.
    """
    cell.value = value or None
    if cell.data_type == "f":
        cell.data_type = "s"
