"""The province's report as one PDF: a page ranking the communes, then each commune's report."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.documents.letterhead import FAMILY, LINE, Row, grid, new_pdf
from bot.documents.province_xlsx import HEADERS
from bot.services.stats.province import CommuneLine, ProvinceView
from bot.texts import Translator

MARGINS = (15.0, 15.0, 15.0, 15.0)
TABLE_FONT = 10.0
ALIGN = ("CENTER", "CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")


def _cells(t: Translator, number: str, line: CommuneLine) -> list[str]:
    """One commune's row, its figures as people read them."""
    percent = t.percent(line.percent) if line.percent is not None else "—"
    figures = (line.units, line.reported, line.on_time, line.adults, line.enrolled)
    return [number, line.code, line.name, *(t.number(value) for value in figures), percent]


def _total(view: ProvinceView, t: Translator) -> list[str]:
    """TỔNG CỘNG: the sums, and the province's share."""
    lines = view.communes
    figures = [
        sum(line.units for line in lines),
        sum(line.reported for line in lines),
        sum(line.on_time for line in lines),
        view.adults,
        view.enrolled,
    ]
    percent = t.percent(view.percent) if view.percent is not None else "—"
    return ["", "", t.plain("province.xlsx.total"), *(t.number(n) for n in figures), percent]


def _overview(view: ProvinceView, province: str, t: Translator) -> bytes:
    """The first page(s): the title and one row per commune, ranked, then the total."""
    pdf = new_pdf("landscape", MARGINS)
    title = t.plain("province.xlsx.title", province=province.upper())
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(0, LINE + 1, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "I", 11)
    period = t.plain("province.xlsx.period", period=view.period.label)
    pdf.multi_cell(0, LINE, period, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(LINE)
    rows: list[Row] = [
        (_cells(t, str(number), line), False) for number, line in enumerate(view.communes, 1)
    ]
    rows.append((_total(view, t), True))
    headings = [t.plain(key) for key, _ in HEADERS]
    grid(pdf, headings, rows, [width for _, width in HEADERS], ALIGN, font_size=TABLE_FONT)
    return bytes(pdf.output())


def province_pdf(
    view: ProvinceView, commune_reports: Sequence[bytes], province: str, t: Translator
) -> bytes:
    """The ranking, then every commune's own report (each already laid out), as one file."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in (_overview(view, province, t), *commune_reports):
        writer.append(io.BytesIO(part))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
