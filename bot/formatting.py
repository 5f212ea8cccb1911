"""Vietnamese formatting of numbers, percentages and dates."""

from __future__ import annotations

import html
from datetime import date, datetime
from zoneinfo import ZoneInfo


def format_number(value: int) -> str:
    """Format an integer the Vietnamese way: 1250 → "1.250"."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", ".")


def format_percent(value: float, digits: int = 1) -> str:
    """Format a percentage with a decimal comma: 38.2 → "38,2%"."""
    return f"{value:.{digits}f}".replace(".", ",") + "%"


def percent_of(part: int, whole: int | None) -> float | None:
    """Return part/whole as a percentage, or None when the whole is unknown."""
    if not whole:
        return None
    return 100.0 * part / whole


def format_date(value: date) -> str:
    """Format a date as dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y")


def format_local_datetime(value: datetime, tz: ZoneInfo) -> str:
    """Format an aware datetime in the commune's zone as dd/mm/yyyy HH:MM."""
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def escape(text: str) -> str:
    """Escape user-supplied text for Telegram HTML messages."""
    return html.escape(text, quote=False)


def split_for_telegram(
    paragraphs: list[str], limit: int = 4096, separator: str = "\n"
) -> list[str]:
    """Pack paragraphs into messages of at most `limit` characters, cutting only between them.

    A single paragraph longer than the limit is cut at the last space before it.
    """
    chunks: list[str] = []
    current = ""
    for paragraph in _pieces(paragraphs, limit):
        candidate = f"{current}{separator}{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        chunks.append(current)
        current = paragraph
    if current:
        chunks.append(current)
    return chunks


def _pieces(paragraphs: list[str], limit: int) -> list[str]:
    """Cut over-long paragraphs at word boundaries so each fits in one message."""
    pieces: list[str] = []
    for paragraph in paragraphs:
        while len(paragraph) > limit:
            cut = paragraph.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            pieces.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip()
        pieces.append(paragraph)
    return pieces
