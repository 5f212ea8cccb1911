"""The progress report as an XLSX workbook in the Vietnamese administrative layout."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.cells import seal_text
from bot.services.stats.export_data import ExportData
from bot.services.stats.export_rows import DirectiveRow, HistoryRow
from bot.services.stats.stats import Summary, UnitStat
from bot.texts import N_, Translator
from bot.texts.labels import kind_label

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True, name="Times New Roman", size=12)
NORMAL = Font(name="Times New Roman", size=12)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADERS = [
    N_("xlsx.col.number"),
    N_("xlsx.col.unit"),
    N_("xlsx.col.kind"),
    N_("xlsx.col.adults"),
    N_("xlsx.col.enrolled"),
    N_("xlsx.col.percent"),
    N_("xlsx.col.completed"),
    N_("xlsx.col.reported_on"),
    N_("xlsx.col.reporter"),
]
HISTORY_HEADERS = [
    N_("xlsx.history.time"),
    N_("xlsx.history.unit"),
    N_("xlsx.history.enrolled"),
    N_("xlsx.history.completed"),
    N_("xlsx.history.correction"),
    N_("xlsx.history.reporter"),
]
DIRECTIVE_HEADERS = [
    N_("xlsx.directives.sent_on"),
    N_("xlsx.directives.number"),
    N_("xlsx.directives.subject"),
    N_("xlsx.directives.recipients"),
    N_("xlsx.directives.delivered"),
    N_("xlsx.directives.acknowledged"),
    N_("xlsx.directives.units"),
]
WIDTHS = [6, 30, 12, 16, 16, 10, 16, 18, 24]
TABLE_ROW = 8


def _header_block(
    sheet: Worksheet, commune: str, summary: Summary, now: datetime, t: Translator
) -> None:
    """The two-column heading, the title and the period line."""
    sheet.merge_cells("A1:C1")
    sheet["A1"] = t.plain("document.authority")
    sheet.merge_cells("A2:C2")
    sheet["A2"] = t.plain("document.commune", commune=commune.upper())
    sheet.merge_cells("E1:I1")
    sheet["E1"] = t.plain("document.motto")
    sheet.merge_cells("E2:I2")
    sheet["E2"] = t.plain("document.motto_line")
    sheet.merge_cells("E3:I3")
    sheet["E3"] = t.plain(
        "document.place_date",
        commune=commune,
        day=f"{now:%d}",
        month=f"{now:%m}",
        year=f"{now:%Y}",
    )
    sheet.merge_cells("A5:I5")
    sheet["A5"] = t.plain("document.report_title")
    sheet.merge_cells("A6:I6")
    sheet["A6"] = t.plain(
        "document.period",
        first=t.date(summary.period.first_day),
        last=t.date(summary.period.last_day),
    )
    for cell in ("A1", "A2", "E1", "E2", "A5"):
        sheet[cell].font = BOLD
        sheet[cell].alignment = CENTER
    for cell in ("E3", "A6"):
        sheet[cell].font = Font(name="Times New Roman", size=12, italic=True)
        sheet[cell].alignment = CENTER


def _unit_row(index: int, stat: UnitStat, tz: ZoneInfo, t: Translator) -> list[object]:
    """One table row."""
    percent = round(stat.percent, 1) if stat.percent is not None else None
    reported = stat.reported_at.astimezone(tz).strftime("%d/%m/%Y") if stat.reported_at else ""
    return [
        index,
        stat.name,
        kind_label(t, stat.kind),
        stat.adults,
        stat.enrolled,
        percent,
        stat.completed,
        reported,
        stat.reporter or "",
    ]


def _summary_sheet(
    sheet: Worksheet, commune: str, data: ExportData, tz: ZoneInfo, t: Translator
) -> list[Cell]:
    """Fill "Tổng hợp": heading, table, total row, widths and print settings.

    Return the total row's formula cells: the only formulas the report may hold.
    """
    stats = data.units
    _header_block(sheet, commune, data.summary, data.now.astimezone(tz), t)
    sheet.append([])
    sheet.row_dimensions[TABLE_ROW].height = 48
    for column, title in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=TABLE_ROW, column=column, value=t.plain(title))
        cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX
    rows = sorted(stats, key=lambda s: (not s.residential, s.code))
    for index, stat in enumerate(rows, start=1):
        sheet.append(_unit_row(index, stat, tz, t))
    total_row = TABLE_ROW + len(rows) + 1
    sheet.cell(row=total_row, column=2, value=t.plain("xlsx.total_residential"))
    homes = [TABLE_ROW + i for i, s in enumerate(rows, start=1) if s.residential]
    formulas: list[Cell] = []
    for column in (4, 5, 7):
        letter = get_column_letter(column)
        cells = ",".join(f"{letter}{r}" for r in homes) or "0"
        formulas.append(sheet.cell(row=total_row, column=column, value=f"=SUM({cells})"))
    formulas.append(
        sheet.cell(
            row=total_row,
            column=6,
            value=f'=IF(D{total_row}>0,ROUND(E{total_row}/D{total_row}*100,1),"")',
        )
    )
    for row in sheet.iter_rows(min_row=TABLE_ROW + 1, max_row=total_row, max_col=len(HEADERS)):
        for cell in row:
            cell.border, cell.font = BOX, NORMAL
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    for cell in sheet[total_row]:
        cell.font = BOLD
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{TABLE_ROW}:{TABLE_ROW}"
    sheet.freeze_panes = f"A{TABLE_ROW + 1}"
    return formulas


def _history_sheet(
    sheet: Worksheet, history: list[HistoryRow], tz: ZoneInfo, t: Translator
) -> None:
    """Fill "Lịch sử": every report, corrections included."""
    sheet.append([t.plain(title) for title in HISTORY_HEADERS])
    for row in history:
        sheet.append(
            [
                row.reported_at.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                row.unit,
                row.enrolled,
                row.completed,
                row.correction_reason or "",
                row.reporter,
            ]
        )
    _style_plain(sheet, [18, 30, 14, 14, 30, 24])


def _directive_sheet(
    sheet: Worksheet, directives: list[DirectiveRow], tz: ZoneInfo, t: Translator
) -> None:
    """Fill "Thông báo": directives with delivered and acknowledged counts."""
    sheet.append([t.plain(title) for title in DIRECTIVE_HEADERS])
    for row in directives:
        sheet.append(
            [
                row.created_at.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                row.number or "",
                row.subject,
                row.recipients,
                row.delivered,
                row.acknowledged_units,
                row.units,
            ]
        )
    _style_plain(sheet, [18, 18, 40, 12, 12, 18, 10])


def _style_plain(sheet: Worksheet, widths: list[int]) -> None:
    """Bold wrapped header, widths and A4 landscape."""
    for cell in sheet[1]:
        cell.font, cell.alignment = BOLD, CENTER
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.print_title_rows = "1:1"


def build_workbook(data: ExportData, commune: str, tz: ZoneInfo, t: Translator) -> bytes:
    """The three sheets as XLSX bytes, in the reader's language."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = t.plain("xlsx.sheet.summary")
    own_formulas = _summary_sheet(sheet, commune, data, tz, t)
    _history_sheet(workbook.create_sheet(t.plain("xlsx.sheet.history")), data.history, tz, t)
    _directive_sheet(
        workbook.create_sheet(t.plain("xlsx.sheet.directives")), data.directives, tz, t
    )
    # User text (names, notes, reasons, numbers) is never a formula; only the totals are.
    seal_text(workbook, own_formulas)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
