"""The progress report as an XLSX workbook in the Vietnamese administrative layout (NĐ 30/2020)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.cells import put_user_text, seal_text
from bot.documents.report_table import (
    COLUMNS,
    SECTION_TITLES,
    ReportLine,
    ReportTable,
    Section,
    Signatures,
    period_line,
    place_date,
    recipients,
    report_table,
)
from bot.services.stats.export_data import ExportData
from bot.services.stats.export_rows import DirectiveRow, HistoryRow, OpinionRow
from bot.texts import N_, Translator
from bot.texts.labels import commune_title
from bot.texts.threads import label_of, status_label, words_of

FONT = "Times New Roman"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NORMAL = Font(name=FONT, size=12)
BOLD = Font(name=FONT, size=12, bold=True)
ITALIC = Font(name=FONT, size=12, italic=True)
BOLD_ITALIC = Font(name=FONT, size=12, bold=True, italic=True)
TITLE = Font(name=FONT, size=14, bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
NUMBER = "#,##0"
PERCENT = "0.0%"
DATE = "dd/mm/yyyy"
DATETIME = "dd/mm/yyyy hh:mm"
# A short rule under the issuing body's name (NĐ 30: a third to a half of the name's width).
SHORT_RULE = "\u2500" * 8

# The "Tổng hợp" sheet: heading rows, then the table's header row.
HEADER_ROW = 10
LAST_COLUMN = len(COLUMNS)
LEFT_BLOCK = (1, 3)  # STT … adults: the issuing body, its number
RIGHT_BLOCK = (4, LAST_COLUMN)  # the national motto, the place and date
SIGN_LEFT = (1, 3)
SIGN_RIGHT = (5, LAST_COLUMN)
SIGN_SPACE_ROWS = 4
# The summary's columns that add up (adults, enrolled, completed, evidence), and every figure
# column (with the share): the report's own formulas live there.
SUMMED = (3, 4, 6, 9)
FIGURES = (3, 4, 5, 6, 9)
NOTE_COLUMN = 10

HISTORY_HEADERS = [
    N_("xlsx.history.time"),
    N_("xlsx.history.unit"),
    N_("xlsx.history.enrolled"),
    N_("xlsx.history.completed"),
    N_("xlsx.history.correction"),
    N_("xlsx.history.reporter"),
]
OPINION_HEADERS = [
    N_("xlsx.opinions.time"),
    N_("xlsx.opinions.unit"),
    N_("xlsx.opinions.author"),
    N_("xlsx.opinions.kind"),
    N_("xlsx.opinions.text"),
    N_("xlsx.opinions.status"),
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


def _merged(
    sheet: Worksheet,
    row: int,
    columns: tuple[int, int],
    value: str | None,
    font: Font = NORMAL,
    alignment: Alignment = CENTER,
) -> None:
    """Write one centred line across a block of columns."""
    first, last = columns
    if last > first:
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = sheet.cell(row=row, column=first)
    put_user_text(cell, value)  # titles, the commune and the signers' names: text, always
    cell.font, cell.alignment = font, alignment


def _heading(sheet: Worksheet, table: ReportTable, t: Translator) -> None:
    """The issuing body and the motto side by side, the number, place and date, the title."""
    commune = table.commune
    _merged(sheet, 1, LEFT_BLOCK, t.plain("document.authority"), BOLD)
    _merged(sheet, 1, RIGHT_BLOCK, t.plain("document.motto"), BOLD)
    _merged(
        sheet,
        2,
        LEFT_BLOCK,
        t.plain("document.commune", commune=commune_title(t, commune).upper()),
        BOLD,
    )
    motto = Font(name=FONT, size=13, bold=True, underline="single")
    _merged(sheet, 2, RIGHT_BLOCK, t.plain("document.motto_line"), motto)
    _merged(sheet, 3, LEFT_BLOCK, SHORT_RULE)
    _merged(sheet, 4, LEFT_BLOCK, t.plain("document.number"))
    _merged(sheet, 4, RIGHT_BLOCK, place_date(t, commune, table.made_on), ITALIC)
    whole = (1, LAST_COLUMN)
    _merged(sheet, 6, whole, t.plain("document.type"), TITLE)
    _merged(sheet, 7, whole, t.plain("document.subject", commune=commune_title(t, commune)), BOLD)
    _merged(sheet, 8, whole, period_line(t, table.period), ITALIC)


def _box(sheet: Worksheet, row: int, font: Font) -> None:
    """Borders and the font on every cell of a table row."""
    for column in range(1, LAST_COLUMN + 1):
        cell = sheet.cell(row=row, column=column)
        cell.border, cell.font = BOX, font


def _formats(sheet: Worksheet, row: int) -> None:
    """Number formats and alignment of the figure columns."""
    for column in SUMMED:
        cell = sheet.cell(row=row, column=column)
        cell.number_format, cell.alignment = NUMBER, RIGHT
    share = sheet.cell(row=row, column=5)
    share.number_format, share.alignment = PERCENT, RIGHT
    sheet.cell(row=row, column=1).alignment = CENTER
    sheet.cell(row=row, column=2).alignment = LEFT


def _share_formula(row: int) -> str:
    """Enrolled over adults, blank when adults are unknown."""
    return f'=IF(C{row}>0,D{row}/C{row},"")'


def _unit_row(sheet: Worksheet, row: int, line: ReportLine, t: Translator) -> None:
    """One unit: figures as numbers, names as text, and "Chưa báo cáo" when late."""
    sheet.cell(row=row, column=1, value=line.number)
    put_user_text(sheet.cell(row=row, column=2), line.unit)
    sheet.cell(row=row, column=3, value=line.adults)
    sheet.cell(row=row, column=4, value=line.enrolled)
    sheet.cell(row=row, column=5, value=line.share)
    sheet.cell(row=row, column=6, value=line.completed)
    reported = sheet.cell(row=row, column=7, value=line.reported_on)
    reported.number_format, reported.alignment = DATE, CENTER
    put_user_text(sheet.cell(row=row, column=8), line.reporter)
    sheet.cell(row=row, column=8).alignment = LEFT
    sheet.cell(row=row, column=9, value=line.evidence)
    if line.late:
        note = sheet.cell(row=row, column=NOTE_COLUMN, value=t.plain("report.late"))
        note.alignment = CENTER
    _box(sheet, row, NORMAL)
    _formats(sheet, row)


def _section(sheet: Worksheet, row: int, section: Section, t: Translator) -> int:
    """The section's heading row carrying its subtotal, then its units; returns the next row."""
    first, last = row + 1, row + len(section.lines)
    sheet.cell(row=row, column=1, value=section.numeral)
    sheet.cell(row=row, column=2, value=t.plain(section.title_key))
    for column in SUMMED:
        letter = get_column_letter(column)
        sheet.cell(row=row, column=column, value=f"=SUM({letter}{first}:{letter}{last})")
    sheet.cell(row=row, column=5, value=_share_formula(row))
    _box(sheet, row, BOLD)
    _formats(sheet, row)
    for offset, line in enumerate(section.lines, start=1):
        _unit_row(sheet, row + offset, line, t)
    return last + 1


def _table(sheet: Worksheet, table: ReportTable, t: Translator) -> int:
    """Header, sections and the grand total; returns the row after the table."""
    sheet.row_dimensions[HEADER_ROW].height = 48
    for column, (title, _, _) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=t.plain(title))
        cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX
    row = HEADER_ROW + 1
    section_rows: list[int] = []
    for section in table.sections:
        section_rows.append(row)
        row = _section(sheet, row, section, t)
    sheet.cell(row=row, column=2, value=t.plain("report.grand_total"))
    # The commune's figure is section I's (report_table.py says why), not I + II.
    counted = [
        r for r, section in zip(section_rows, table.sections, strict=True)
        if section.title_key == SECTION_TITLES[0]
    ]  # fmt: skip
    for column in SUMMED:
        letter = get_column_letter(column)
        terms = "+".join(f"{letter}{r}" for r in counted) or "0"
        sheet.cell(row=row, column=column, value=f"={terms}")
    sheet.cell(row=row, column=5, value=_share_formula(row))
    _box(sheet, row, BOLD)
    _formats(sheet, row)
    sheet.cell(row=row, column=2).alignment = CENTER
    return row + 1


def _signatures(sheet: Worksheet, row: int, signatures: Signatures, t: Translator) -> None:
    """Write "NGƯỜI LẬP BIỂU" on the left, the signer on the right, room to sign, the names."""
    _merged(sheet, row, SIGN_LEFT, t.plain("document.preparer"), BOLD)
    _merged(sheet, row + 1, SIGN_LEFT, t.plain("document.preparer_hint"), ITALIC)
    right = [line for line in (signatures.authority, signatures.title) if line]
    for offset, line in enumerate(right):
        _merged(sheet, row + offset, SIGN_RIGHT, line, BOLD)
    names = row + max(len(right), 2) + SIGN_SPACE_ROWS
    _merged(sheet, names, SIGN_LEFT, signatures.preparer or None, BOLD)
    # "Nơi nhận" under the names, on the left (NĐ 30/2020).
    title, *lines = recipients(t)
    _merged(sheet, names + 2, SIGN_LEFT, title, BOLD_ITALIC, LEFT)
    for offset, line in enumerate(lines, start=3):
        _merged(sheet, names + offset, SIGN_LEFT, line, NORMAL, LEFT)
    _merged(sheet, names, SIGN_RIGHT, signatures.signer or None, BOLD)


def _print_setup(sheet: Worksheet, title_rows: str) -> None:
    """A4 landscape, one page wide, the header row repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_title_rows = title_rows


def summary_sheet(sheet: Worksheet, table: ReportTable, t: Translator) -> None:
    """Fill "Tổng hợp": heading blocks, the table, a note and the signature block."""
    _heading(sheet, table, t)
    after = _table(sheet, table, t)
    _merged(sheet, after, (1, LAST_COLUMN), t.plain("report.footnote"), ITALIC, LEFT)
    sheet.row_dimensions[after].height = 32
    _signatures(sheet, after + 2, table.signatures, t)
    for column, (_, width, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    _print_setup(sheet, f"{HEADER_ROW}:{HEADER_ROW}")


def _listing(
    sheet: Worksheet,
    title: str,
    subtitle: str,
    headers: Sequence[str],
    widths: Sequence[int],
) -> None:
    """A titled sheet: title and subtitle rows, a bold header row, widths and printing."""
    span = (1, len(headers))
    _merged(sheet, 1, span, title, TITLE)
    _merged(sheet, 2, span, subtitle, ITALIC)
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=3, column=column, value=header)
        cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX
    sheet.row_dimensions[3].height = 32
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    _print_setup(sheet, "3:3")


def _style_rows(sheet: Worksheet, formats: Sequence[str | None]) -> None:
    """Borders, fonts and number formats on every data row (from row 4)."""
    for row in sheet.iter_rows(min_row=4, max_row=sheet.max_row, max_col=len(formats)):
        for cell, number_format in zip(row, formats, strict=True):
            cell.border, cell.font = BOX, NORMAL
            cell.alignment = LEFT if number_format is None else RIGHT
            if number_format is not None:
                cell.number_format = number_format


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A naive local time, as spreadsheets store them."""
    return moment.astimezone(tz).replace(tzinfo=None)


def _history_sheet(
    sheet: Worksheet, history: list[HistoryRow], subtitle: str, tz: ZoneInfo, t: Translator
) -> None:
    """Fill "Lịch sử": every report, corrections included."""
    headers = [t.plain(title) for title in HISTORY_HEADERS]
    _listing(sheet, t.plain("xlsx.history.title"), subtitle, headers, [18, 30, 14, 14, 34, 26])
    for index, item in enumerate(history, start=4):
        sheet.cell(row=index, column=1, value=_local(item.reported_at, tz))
        put_user_text(sheet.cell(row=index, column=2), item.unit)
        sheet.cell(row=index, column=3, value=item.enrolled)
        sheet.cell(row=index, column=4, value=item.completed)
        put_user_text(sheet.cell(row=index, column=5), item.correction_reason)
        put_user_text(sheet.cell(row=index, column=6), item.reporter)
    _style_rows(sheet, [DATETIME, None, NUMBER, NUMBER, None, None])


def _directive_sheet(
    sheet: Worksheet,
    directives: list[DirectiveRow],
    subtitle: str,
    tz: ZoneInfo,
    t: Translator,
) -> None:
    """Fill "Thông báo": directives with delivered and acknowledged counts."""
    headers = [t.plain(title) for title in DIRECTIVE_HEADERS]
    widths = [18, 20, 46, 12, 12, 16, 12]
    _listing(sheet, t.plain("xlsx.directives.title"), subtitle, headers, widths)
    for index, item in enumerate(directives, start=4):
        sheet.cell(row=index, column=1, value=_local(item.created_at, tz))
        put_user_text(sheet.cell(row=index, column=2), item.number)
        put_user_text(sheet.cell(row=index, column=3), item.subject)
        for column, value in enumerate(
            (item.recipients, item.delivered, item.acknowledged_units, item.units), start=4
        ):
            sheet.cell(row=index, column=column, value=value)
    _style_rows(sheet, [DATETIME, None, None, NUMBER, NUMBER, NUMBER, NUMBER])


def _opinion_sheet(
    sheet: Worksheet, opinions: list[OpinionRow], subtitle: str, tz: ZoneInfo, t: Translator
) -> None:
    """Fill "Ý kiến": every note, photo and answer of the threads, unit by unit."""
    headers = [t.plain(title) for title in OPINION_HEADERS]
    widths = [18, 26, 24, 22, 60, 14]
    _listing(sheet, t.plain("xlsx.opinions.title"), subtitle, headers, widths)
    for index, item in enumerate(opinions, start=4):
        sheet.cell(row=index, column=1, value=_local(item.created_at, tz))
        put_user_text(sheet.cell(row=index, column=2), item.unit)
        put_user_text(sheet.cell(row=index, column=3), item.author)
        put_user_text(sheet.cell(row=index, column=4), label_of(t, item.side, item.kind))
        put_user_text(sheet.cell(row=index, column=5), words_of(t, item.kind, item.text))
        put_user_text(sheet.cell(row=index, column=6), status_label(t, item.status))
    _style_rows(sheet, [DATETIME, None, None, None, None, None])


def build_workbook(
    data: ExportData, commune: str, signatures: Signatures, tz: ZoneInfo, t: Translator
) -> bytes:
    """The four sheets as XLSX bytes, in the reader's language."""
    table = report_table(data, commune, signatures, tz)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = t.plain("xlsx.sheet.summary")
    summary_sheet(sheet, table, t)
    named = commune_title(t, commune)
    subtitle = t.plain(
        "xlsx.subtitle",
        commune=named[:1].upper() + named[1:],  # it opens the line: "Xã Ea Knốp · kỳ …"
        date=t.date(table.made_on),
        period=table.period.label,
    )
    _history_sheet(
        workbook.create_sheet(t.plain("xlsx.sheet.history")), data.history, subtitle, tz, t
    )
    _directive_sheet(
        workbook.create_sheet(t.plain("xlsx.sheet.directives")), data.directives, subtitle, tz, t
    )
    _opinion_sheet(
        workbook.create_sheet(t.plain("xlsx.sheet.opinions")), data.opinions, subtitle, tz, t
    )
    # A second line of defence behind put_user_text: the only formulas are the summary's
    # figure columns (subtotals, totals, shares); anything else that reads as one is text.
    seal_text(
        workbook,
        keep=lambda cell: cell.parent is sheet and cell.column in FIGURES and cell.row > HEADER_ROW,
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
