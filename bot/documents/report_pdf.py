"""The progress report as a PDF to print, sign and file: the same content as the XLSX."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.documents.letterhead import (
    FAMILY,
    LINE,
    SIGNATURE_HEIGHT,
    Row,
    centred,
    grid,
    letterhead,
    new_pdf,
    signature_block,
)
from bot.documents.report_table import (
    COLUMNS,
    ReportLine,
    ReportTable,
    Signatures,
    Totals,
    period_line,
    recipients,
    report_table,
)
from bot.services.stats.export_data import ExportData
from bot.texts import Translator
from bot.texts.labels import commune_title

if TYPE_CHECKING:
    from fpdf import FPDF

# NĐ 30/2020 margins, in mm, adapted to a landscape table.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 20.0, 15.0, 15.0, 15.0
# The signatures and the "Nơi nhận" block under them (a gap and four lines) stay together.
CLOSING_HEIGHT = SIGNATURE_HEIGHT + 6 * LINE
LEFT_BLOCK = 95.0
TABLE_FONT = 10.0
# NĐ 30 practice: the signatures never stand alone on a page; these last rows go with them.
CARRIED_ROWS = 3
ALIGN = ("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "CENTER", "LEFT", "RIGHT", "CENTER")


def _new_pdf() -> FPDF:
    """An A4 landscape document with Liberation Serif in its four styles."""
    return new_pdf("landscape", (MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM))


def _heading(pdf: FPDF, table: ReportTable, t: Translator) -> None:
    """The issuing body beside the national motto, number, place and date, title and period."""
    letterhead(
        pdf,
        t,
        commune=table.commune,
        made_on=table.made_on,
        number=t.plain("document.number"),
        left_width=LEFT_BLOCK,
    )
    pdf.ln(LINE + 6)
    full = pdf.w - MARGIN_LEFT - MARGIN_RIGHT
    centred(pdf, MARGIN_LEFT, full, t.plain("document.type"), "B", 14)
    pdf.ln(LINE + 1)
    pdf.set_font(FAMILY, "B", 12)
    pdf.set_x(MARGIN_LEFT)
    pdf.multi_cell(
        full, LINE, t.plain("document.subject", commune=commune_title(t, table.commune)), align="C"
    )
    centred(pdf, MARGIN_LEFT, full, period_line(t, table.period), "I", 12)
    pdf.ln(LINE + 3)


def _figures(
    t: Translator,
    adults: int | None,
    enrolled: int | None,
    completed: int | None,
    share: float | None,
) -> list[str]:
    """Adults, enrolled, share and completed as the language writes them."""
    return [
        t.number(adults) if adults is not None else "",
        t.number(enrolled) if enrolled is not None else "",
        t.percent(share * 100) if share is not None else "",
        t.number(completed) if completed is not None else "",
    ]


def _line_cells(line: ReportLine, t: Translator) -> list[str]:
    """One unit's row."""
    return [
        str(line.number),
        line.unit,
        *_figures(t, line.adults, line.enrolled, line.completed, line.share),
        t.date(line.reported_on) if line.reported_on else "",
        line.reporter,
        t.number(line.evidence),
        t.plain("report.late") if line.late else "",
    ]


def _total_cells(first: str, label: str, totals: Totals, t: Translator) -> list[str]:
    """A subtotal or the grand total."""
    figures = _figures(t, totals.adults, totals.enrolled, totals.completed, totals.share)
    return [first, label, *figures, "", "", t.number(totals.evidence), ""]


def _rows(table: ReportTable, t: Translator) -> list[Row]:
    """Every row of the table under its header: (cells, bold)."""
    rows: list[Row] = []
    for section in table.sections:
        rows.append(
            (_total_cells(section.numeral, t.plain(section.title_key), section.totals, t), True)
        )
        rows += [(_line_cells(line, t), False) for line in section.lines]
    rows.append((_total_cells("", t.plain("report.grand_total"), table.total, t), True))
    return rows


def _table(pdf: FPDF, rows: list[Row], t: Translator) -> None:
    """The header row and these rows; the header repeats on every page."""
    headings = [t.plain(title) for title, _, _ in COLUMNS]
    widths = [width for _, _, width in COLUMNS]
    grid(pdf, headings, rows, widths, ALIGN, font_size=TABLE_FONT)


def _body(pdf: FPDF, table: ReportTable, t: Translator, carried: int) -> bool:
    """Heading, table and note; the last `carried` rows start a new page with the signatures.

    Returns whether the note and the signature block fit on the page where the table ends.
    """
    _heading(pdf, table, t)
    rows = _rows(table, t)
    if carried:
        _table(pdf, rows[:-carried], t)
        pdf.add_page()
        _table(pdf, rows[-carried:], t)
    else:
        _table(pdf, rows, t)
    table_page = pdf.page
    pdf.ln(2)
    pdf.set_font(FAMILY, "I", 10)
    pdf.multi_cell(0, 4.6, t.plain("report.footnote"))
    pdf.ln(4)
    # A note pushed (even partly) onto a page of its own would leave the table behind.
    return pdf.page == table_page and pdf.get_y() + CLOSING_HEIGHT <= pdf.h - MARGIN_BOTTOM


def _signatures(pdf: FPDF, signatures: Signatures, t: Translator) -> None:
    """Write "NGƯỜI LẬP BIỂU" on the left, the signer on the right, room to sign, the names."""
    signature_block(
        pdf, signatures, t, left_width=LEFT_BLOCK, preparer=t.plain("document.preparer")
    )
    # "Nơi nhận" under the names, on the left (NĐ 30/2020): title bold italic, lines smaller.
    pdf.ln(2 * LINE)
    title, *lines = recipients(t)
    pdf.set_font(FAMILY, "BI", 12)
    pdf.cell(LEFT_BLOCK, LINE, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    for line in lines:
        pdf.cell(LEFT_BLOCK, LINE, line, new_x="LMARGIN", new_y="NEXT")


def report_pdf(
    data: ExportData, commune: str, signatures: Signatures, tz: ZoneInfo, t: Translator
) -> bytes:
    """The report's "Tổng hợp" as an A4 landscape PDF, in the reader's language."""
    table = report_table(data, commune, signatures, tz)
    pdf = _draft(table, t, carried=0)
    if pdf is None:
        carried = min(CARRIED_ROWS, len(_rows(table, t)))
        pdf = _draft(table, t, carried=carried)
        assert pdf is not None
    return bytes(pdf.output())


def _draft(table: ReportTable, t: Translator, *, carried: int) -> FPDF | None:
    """Lay the report out; None when the signatures would not fit after the table."""
    pdf = _new_pdf()
    pdf.set_title(t.plain("document.subject", commune=commune_title(t, table.commune)))
    pdf.add_page()
    fits = _body(pdf, table, t, carried)
    if not fits and not carried:
        return None
    if not fits:
        pdf.add_page()  # a table too long even for the carried rows: sign on the next page
    _signatures(pdf, table.signatures, t)
    return pdf
