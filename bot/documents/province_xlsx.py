"""The province's report as XLSX: a row per commune and the total, then each commune's sheet."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents import xlsx
from bot.documents.cells import put_user_text, seal_text
from bot.documents.report_table import Signatures, report_table
from bot.documents.xlsx import (
    BOLD,
    BOX,
    CENTER,
    LEFT,
    NORMAL,
    NUMBER,
    PERCENT,
    RIGHT,
    TITLE,
    summary_sheet,
)
from bot.services.stats.export_data import ExportData
from bot.services.stats.province import ProvinceView
from bot.texts import N_, Translator

HEADERS = (
    (N_("province.xlsx.number"), 6),
    (N_("province.xlsx.code"), 10),
    (N_("province.xlsx.name"), 30),
    (N_("province.xlsx.units"), 12),
    (N_("province.xlsx.reported"), 12),
    (N_("province.xlsx.on_time"), 12),
    (N_("province.xlsx.adults"), 16),
    (N_("province.xlsx.enrolled"), 16),
    (N_("province.xlsx.share"), 12),
)
HEADER_ROW = 4
# The figure columns added up in the total row (units … enrolled), and the share's.
SUMMED = (4, 5, 6, 7, 8)
SHARE = 9
# Excel refuses sheet names over 31 characters.
MAX_SHEET_NAME = 31


@dataclass(frozen=True)
class CommuneReport:
    """One commune's export, and the name its sheet and texts use."""

    code: str
    name: str
    data: ExportData


def _share_formula(row: int) -> str:
    """Enrolled over adults, blank when adults are unknown."""
    return f'=IF(G{row}>0,H{row}/G{row},"")'


def _overview(sheet: Worksheet, view: ProvinceView, province: str, t: Translator) -> None:
    """The province's sheet: a title, one row per commune, the total with its formulas."""
    sheet["A1"] = t.plain("province.xlsx.title", province=province.upper())
    sheet["A1"].font = TITLE
    sheet["A2"] = t.plain("province.xlsx.period", period=view.period.label)
    for column, (key, width) in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=t.plain(key))
        cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX
        sheet.column_dimensions[get_column_letter(column)].width = width
    row = HEADER_ROW
    for number, line in enumerate(view.communes, start=1):
        row = HEADER_ROW + number
        values: Sequence[object] = (
            number, line.code, None, line.units, line.reported, line.on_time,
            line.adults, line.enrolled, _share_formula(row),
        )  # fmt: skip
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.font, cell.border = NORMAL, BOX
        put_user_text(sheet.cell(row=row, column=3), line.name)
        sheet.cell(row=row, column=3).alignment = LEFT
    _total(sheet, row + 1, t)


def _total(sheet: Worksheet, row: int, t: Translator) -> None:
    """TỔNG CỘNG: sums of every commune's figures, and the province's share."""
    sheet.cell(row=row, column=3, value=t.plain("province.xlsx.total"))
    for column in SUMMED:
        letter = get_column_letter(column)
        sheet.cell(
            row=row, column=column, value=f"=SUM({letter}{HEADER_ROW + 1}:{letter}{row - 1})"
        )
    sheet.cell(row=row, column=SHARE, value=_share_formula(row))
    for column in range(1, len(HEADERS) + 1):
        cell = sheet.cell(row=row, column=column)
        cell.font, cell.border = BOLD, BOX
    for figures in range(HEADER_ROW + 1, row + 1):
        for column in SUMMED:
            sheet.cell(row=figures, column=column).number_format = NUMBER
            sheet.cell(row=figures, column=column).alignment = RIGHT
        sheet.cell(row=figures, column=SHARE).number_format = PERCENT


def _sheet_name(report: CommuneReport) -> str:
    """The commune's code and name, cut to what Excel accepts."""
    return f"{report.code} {report.name}"[:MAX_SHEET_NAME]


def build_province_workbook(
    view: ProvinceView,
    communes: Sequence[CommuneReport],
    province: str,
    signatures: Signatures,
    tz: ZoneInfo,
    t: Translator,
) -> bytes:
    """The province's sheet, then one "Tổng hợp" per commune, as XLSX bytes."""
    workbook = Workbook()
    overview = workbook.active
    assert overview is not None
    overview.title = t.plain("province.xlsx.sheet")
    _overview(overview, view, province, t)
    sheets = []
    for report in communes:
        sheet = workbook.create_sheet(_sheet_name(report))
        summary_sheet(sheet, report_table(report.data, report.name, signatures, tz), t)
        sheets.append(sheet)

    def ours(cell: Cell) -> bool:
        """The figures' own formulas (sums, totals, shares)."""
        if cell.parent is overview:
            return cell.column in (*SUMMED, SHARE) and cell.row > HEADER_ROW
        return cell.column in xlsx.FIGURES and cell.row > xlsx.HEADER_ROW

    # A second line of defence behind put_user_text: anything else that reads as one is text.
    seal_text(workbook, keep=ours)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
