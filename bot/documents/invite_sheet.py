"""A printable A4 sheet of invites: one QR code per unit, its name and how to join."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.documents.fonts import SANS as FONT
from bot.documents.fonts import SANS_BOLD as FONT_BOLD
from bot.documents.qr import qr_png
from bot.texts import N_, Translator
from bot.texts.labels import commune_title

if TYPE_CHECKING:
    from fpdf import FPDF

COLUMNS, ROWS = 2, 3
MARGIN = 10.0
STEPS = (N_("invite_sheet.step1"), N_("invite_sheet.step2"), N_("invite_sheet.step3"))


def invite_sheet_pdf(cards: list[tuple[str, str]], commune: str, t: Translator) -> bytes:
    """Lay out (unit name, deep link) cards, six per A4 page."""
    # fpdf2 (with fontTools) costs ~50 MB; load it only when a sheet is printed.
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    width = (pdf.w - 2 * MARGIN) / COLUMNS
    height = (pdf.h - 2 * MARGIN) / ROWS
    for index, (name, link) in enumerate(cards):
        slot = index % (COLUMNS * ROWS)
        if slot == 0:
            pdf.add_page()
        x = MARGIN + (slot % COLUMNS) * width
        y = MARGIN + (slot // COLUMNS) * height
        _card(pdf, (x, y, width, height), name, link, commune, t)
    return bytes(pdf.output())


def _card(
    pdf: FPDF,
    box: tuple[float, float, float, float],
    name: str,
    link: str,
    commune: str,
    t: Translator,
) -> None:
    """One invite: a dashed cut line, the unit's name, the QR code and three steps."""
    x, y, width, height = box
    pdf.set_draw_color(160, 160, 160)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.rect(x, y, width, height)
    pdf.set_dash_pattern()
    pdf.set_font("DejaVu", "", 9)
    pdf.set_xy(x, y + 3)
    pdf.cell(width, 5, t.plain("invite_sheet.title", commune=commune_title(t, commune)), align="C")
    pdf.set_font("DejaVu", "B", 16)
    pdf.set_xy(x + 3, y + 9)
    pdf.multi_cell(width - 6, 7, name, align="C")
    size = min(width, height) * 0.45
    pdf.image(
        io.BytesIO(qr_png(link, box_size=8)), x=x + (width - size) / 2, y=y + 24, w=size, h=size
    )
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_xy(x + 4, y + 26 + size)
    for step in STEPS:
        pdf.set_x(x + 4)
        pdf.multi_cell(width - 8, 4.2, t.plain(step))
