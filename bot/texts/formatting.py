"""Laying text out for Telegram: escaping user text, and cutting long messages at paragraphs."""

from __future__ import annotations

import html


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
