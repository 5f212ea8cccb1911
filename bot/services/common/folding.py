"""Comparing what people type: case and Vietnamese diacritics folded away, NFC kept for storage."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics, for tolerant comparisons."""
    # "đ" (U+0111) is a letter of its own, not d with a mark, so NFD leaves it: map it by hand.
    decomposed = unicodedata.normalize("NFD", text.strip().lower()).replace("\u0111", "d")
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


# Zero-width and other format characters (Unicode category Cf) print as nothing.
def visible_text(text: str) -> str:
    """NFC with inner whitespace collapsed and invisible format characters removed."""
    return nfc("".join(char for char in text if unicodedata.category(char) != "Cf"))


def nfc(text: str) -> str:
    """Normalise to NFC and collapse inner whitespace."""
    return " ".join(unicodedata.normalize("NFC", text).split())
