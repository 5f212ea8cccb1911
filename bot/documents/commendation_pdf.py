"""The commendation list as a PDF to print, sign and send up: "Danh sách đề nghị biểu dương".

A4 portrait, NĐ 30/2020 layout like the progress report: the commune's letterhead beside the
national motto, the title and period, one row per unit with its achievements and figures,
how the list was chosen, and the preparer and the signer (the REPORT_* settings).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.documents.letterhead import (
    FAMILY,
    LINE,
    SIGNATURE_HEIGHT,
    centred,
    letterhead,
    new_pdf,
    signature_block,
)
from bot.documents.report_table import Signatures, period_line
from bot.services.recognition.commendations import Candidate, Sheet, candidate_values
from bot.texts import N_, Translator
from bot.texts.labels import commune_title
from bot.texts.recognition import merits_text, threshold_text

if TYPE_CHECKING:
    from fpdf import FPDF

# NĐ 30/2020 margins (mm) for a portrait page.
MARGINS = (25.0, 15.0, 15.0, 15.0)
LEFT_BLOCK = 80.0
TABLE_FONT = 10.0
# (header key, width in mm, alignment)
COLUMNS = (
    (N_("commend.pdf.col.number"), 11, "CENTER"),
    (N_("commend.pdf.col.unit"), 35, "LEFT"),
    (N_("commend.pdf.col.merits"), 72, "LEFT"),
    (N_("commend.pdf.col.enrolled"), 34, "RIGHT"),
    (N_("commend.pdf.col.percent"), 18, "RIGHT"),
)


def _cells(number: int, candidate: Candidate, target: float, t: Translator) -> list[str]:
    """One unit's row: its achievements one per line, enrolled of adults and the share."""
    facts = candidate.facts
    values = {**candidate_values(candidate), "target": target}
    enrolled = t.number(facts.enrolled) if facts.enrolled is not None else "—"
    adults = t.number(facts.adults) if facts.adults else "—"
    percent = t.percent(facts.percent) if facts.percent is not None else "—"
    return [
        str(number),
        facts.name,
        "\n".join(_sentence(line) for line in merits_text(t, values, "\n").splitlines()),
        f"{enrolled} / {adults}",
        percent,
    ]


def _sentence(text: str) -> str:
    """An achievement as a table cell writes it: capital first letter."""
    return text[:1].upper() + text[1:]


def _table(pdf: FPDF, sheet: Sheet, t: Translator) -> None:
    """The header row and one row per unit; the header repeats on every page."""
    from fpdf.fonts import FontFace

    pdf.set_font(FAMILY, "", TABLE_FONT)
    with pdf.table(
        col_widths=tuple(width for _, width, _ in COLUMNS),
        width=pdf.w - pdf.l_margin - pdf.r_margin,
        text_align=tuple(align for _, _, align in COLUMNS),
        line_height=4.8,
        repeat_headings=1,
        headings_style=FontFace(emphasis="BOLD"),
        padding=1,
    ) as grid:
        heading = grid.row()
        for title, _, _ in COLUMNS:
            heading.cell(t.plain(title), align="CENTER")
        for number, candidate in enumerate(sheet.candidates, start=1):
            row = grid.row()
            for text in _cells(number, candidate, sheet.target_percent, t):
                row.cell(text)


def commendation_pdf(
    sheet: Sheet,
    *,
    commune: str,
    signatures: Signatures,
    top: int,
    tz: ZoneInfo,
    made_on: date,
    t: Translator,
) -> bytes:
    """The period's commendation list, ready to print and sign."""
    pdf = new_pdf("portrait", MARGINS)
    pdf.set_title(t.plain("commend.pdf.title"))
    pdf.add_page()
    letterhead(
        pdf,
        t,
        commune=commune,
        made_on=made_on,
        number=t.plain("commend.pdf.number"),
        left_width=LEFT_BLOCK,
    )
    full = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.ln(LINE + 6)
    centred(pdf, pdf.l_margin, full, t.plain("commend.pdf.title"), "B", 14)
    pdf.ln(LINE + 1)
    pdf.set_font(FAMILY, "B", 12)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(
        full, LINE, t.plain("commend.pdf.subject", commune=commune_title(t, commune)), align="C"
    )
    centred(pdf, pdf.l_margin, full, period_line(t, sheet.period), "I", 12)
    pdf.ln(LINE + 3)
    _table(pdf, sheet, t)
    pdf.ln(2)
    pdf.set_font(FAMILY, "I", 10)
    status = (
        t.plain("commend.pdf.sent", date=t.date(sheet.sent_at.astimezone(tz).date()))
        if sheet.sent_at is not None
        else t.plain("commend.pdf.proposed", date=t.date(made_on))
    )
    rule = t.plain("commend.rule", top=top, target=threshold_text(t, sheet.target_percent))
    pdf.multi_cell(0, 4.6, f"{status}\n{rule}")
    pdf.ln(4)
    if pdf.get_y() + SIGNATURE_HEIGHT > pdf.h - pdf.b_margin:
        pdf.add_page()
    signature_block(
        pdf, signatures, t, left_width=LEFT_BLOCK, preparer=t.plain("commend.pdf.preparer")
    )
    return bytes(pdf.output())
