"""Figures typed in chat, read and checked for the unit: the one call the chat handler makes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.reports.free_text import Doubt, Reading, Verdict, read_report_text
from bot.services.reports.numbers import NumberRefusal
from bot.services.reports.reports import Figures, Target, kept_completed, validate_figures
from models.db import Database


@dataclass(frozen=True)
class Offer:
    """Figures to confirm with "✅ Đúng", and the completed figure a report of them would keep."""

    enrolled: int
    completed: int | None
    kept_completed: int | None


@dataclass(frozen=True)
class OutOfRange:
    """Figures read clearly but impossible for the unit (above its adults, or done > enrolled)."""

    refusal: NumberRefusal


async def figures_to_offer(db: Database, target: Target, text: str) -> Offer | OutOfRange | Reading:
    """An offer, a refusal, or the reading itself when it has no figures or is unsure."""
    reading = read_report_text(text, [target.unit_name])
    if reading.verdict != Verdict.FIGURES or reading.enrolled is None:
        return reading
    try:
        validate_figures(Figures(reading.enrolled, reading.completed), target.adults)
    except NumberRefusal as refusal:
        return OutOfRange(refusal)
    kept = await kept_completed(db, target.unit_id) if reading.completed is None else None
    return Offer(reading.enrolled, reading.completed, kept)


def figures_in_sentence(text: str, unit_name: str) -> Figures | None:
    """The figures of a sentence typed as an answer ("47 người, 15 hoàn thành"), if sure."""
    reading = read_report_text(text, [unit_name])
    if reading.verdict != Verdict.FIGURES or reading.enrolled is None:
        return None
    return Figures(reading.enrolled, reading.completed)


def completed_in_sentence(text: str, unit_name: str) -> int | None:
    """The completed figure of a sentence that names only it ("15 người hoàn thành")."""
    reading = read_report_text(text, [unit_name])
    return reading.completed if reading.doubt == Doubt.ONLY_COMPLETED else None
