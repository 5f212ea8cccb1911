"""The parts every administrative PDF shares (NĐ 30/2020): letterhead and signature block.

The progress report (report_pdf.py) and the commendation list (commendation_pdf.py) both
print the issuing body beside the national motto, the number, the place and date, and at the
end the preparer on the left and the signer on the right, in Liberation Serif.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from bot.documents.fonts import SERIF, SERIF_FAMILY
from bot.documents.report_table import Signatures, place_date
from bot.texts import Translator
from bot.texts.labels import commune_title

if TYPE_CHECKING:
    from fpdf import FPDF

FAMILY = SERIF_FAMILY
LINE = 5.5
# Room to sign and seal (mm), and the whole signature block with its titles and names.
SIGN_SPACE = 24.0
SIGNATURE_HEIGHT = 3 * LINE + SIGN_SPACE


def new_pdf(orientation: str, margins: tuple[float, float, float, float]) -> FPDF:
    """An A4 document with Liberation Serif in its four styles; margins left, top, right, bottom."""
    # fpdf2 (with fontTools) costs ~50 MB; load it only when a PDF is made.
    from fpdf import FPDF

    left, top, right, bottom = margins
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(auto=True, margin=bottom)
    for style, path in SERIF.items():
        pdf.add_font(FAMILY, style, str(path))
    return pdf


def centred(pdf: FPDF, x: float, width: float, text: str, style: str, size: float) -> float:
    """Write one centred line in a block; returns the text's width."""
    pdf.set_font(FAMILY, style, size)
    pdf.set_x(x)
    pdf.cell(width, LINE, text, align="C")
    return float(pdf.get_string_width(text))


def rule(pdf: FPDF, centre: float, width: float, y: float) -> None:
    """A thin line under a heading, centred."""
    pdf.set_line_width(0.3)
    pdf.line(centre - width / 2, y, centre + width / 2, y)


def letterhead(
    pdf: FPDF,
    t: Translator,
    *,
    commune: str,
    made_on: date,
    number: str,
    left_width: float,
) -> None:
    """The issuing body beside the national motto, each underlined; the number, place and date."""
    left_x = pdf.l_margin
    right_x = left_x + left_width
    right_width = pdf.w - pdf.r_margin - right_x
    top = pdf.get_y()
    centred(pdf, left_x, left_width, t.plain("document.authority"), "B", 12)
    centred(pdf, right_x, right_width, t.plain("document.motto"), "B", 12)
    pdf.ln(LINE)
    body = t.plain("document.commune", commune=commune_title(t, commune).upper())
    width = centred(pdf, left_x, left_width, body, "B", 12)
    motto = centred(pdf, right_x, right_width, t.plain("document.motto_line"), "B", 13)
    under = top + 2 * LINE + 0.3
    rule(pdf, left_x + left_width / 2, width / 3, under)
    rule(pdf, right_x + right_width / 2, motto, under)
    pdf.set_y(under + 3)
    centred(pdf, left_x, left_width, number, "", 12)
    centred(pdf, right_x, right_width, place_date(t, commune, made_on), "I", 12)


def signature_block(
    pdf: FPDF, signatures: Signatures, t: Translator, *, left_width: float, preparer: str
) -> None:
    """The preparer (with `preparer` as title) on the left, the signer on the right, the names."""
    left_x = pdf.l_margin
    right_x = pdf.w / 2 + 20
    right_width = pdf.w - pdf.r_margin - right_x
    top = pdf.get_y()
    centred(pdf, left_x, left_width, preparer, "B", 12)
    pdf.ln(LINE)
    centred(pdf, left_x, left_width, t.plain("document.preparer_hint"), "I", 11)
    pdf.set_y(top)
    for line in (signatures.authority, signatures.title):
        if line:
            centred(pdf, right_x, right_width, line, "B", 12)
            pdf.ln(LINE)
    names = top + 2 * LINE + SIGN_SPACE
    pdf.set_y(names)
    centred(pdf, left_x, left_width, signatures.preparer, "B", 12)
    centred(pdf, right_x, right_width, signatures.signer, "B", 12)


# A table's body row: its cells, and whether it is a total (bold).
Row = tuple[list[str], bool]


def grid(
    pdf: FPDF,
    headings: Sequence[str],
    rows: Sequence[Row],
    widths: Sequence[float],
    align: Sequence[str],
    *,
    font_size: float,
) -> None:
    """A boxed table filling the page's width; its header row repeats on every page."""
    from fpdf.fonts import FontFace

    bold = FontFace(emphasis="BOLD")
    pdf.set_font(FAMILY, "", font_size)
    with pdf.table(
        col_widths=tuple(widths),
        width=pdf.w - pdf.l_margin - pdf.r_margin,
        text_align=tuple(align),
        line_height=4.6,
        repeat_headings=1,
        headings_style=bold,
        padding=1,
    ) as table:
        heading = table.row()
        for title in headings:
            heading.cell(title, align="CENTER")
        for cells, strong in rows:
            row = table.row()
            for text in cells:
                row.cell(text, style=bold if strong else None)
