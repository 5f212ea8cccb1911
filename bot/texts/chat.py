"""How the bot answers what heads write in chat: figures read, doubts, evidence, the rest."""

from __future__ import annotations

from bot.services.reports.evidence import StoredEvidence
from bot.services.reports.free_text import Doubt, Reading
from bot.texts.catalog import N_, Html, Translator
from bot.texts.reports import number_refusal
from models import EvidenceKind

DOUBTS = {
    Doubt.TOO_MANY: N_("report.free.too_many"),
    Doubt.QUESTION: N_("report.free.question"),
    Doubt.CONFLICT: N_("report.free.conflict"),
    Doubt.ONLY_COMPLETED: N_("report.free.only_completed"),
    Doubt.INCREMENT: N_("report.free.increment"),
}
SAVED = {
    EvidenceKind.PHOTO: N_("evidence.saved_photo"),
    EvidenceKind.DOCUMENT: N_("evidence.saved_document"),
}


def reading_text(
    t: Translator, unit: str, enrolled: int, completed: int | None, kept: int | None = None
) -> Html:
    """What the bot read, for "✅ Đúng" / "✏️ Sửa" (and the completed figure it would keep)."""
    lines = [t("report.free.enrolled_line", enrolled=enrolled)]
    if completed is not None:
        lines.append(t("report.free.completed_line", completed=completed))
    elif kept is not None and kept <= enrolled:
        lines.append(t("report.free.completed_kept", completed=kept))
    return t("report.free.read", unit=unit, lines=Html("\n".join(lines)))


def doubt_text(t: Translator, reading: Reading) -> Html:
    """Why nothing was stored, and what to type instead."""
    if reading.doubt == Doubt.REFUSED and reading.refusal is not None:
        return t("report.free.refused", reason=number_refusal(t, reading.refusal))
    assert reading.doubt is not None
    return t(DOUBTS[reading.doubt])


def evidence_text(t: Translator, stored: StoredEvidence) -> Html:
    """The short answer to a photo or document: kept, for which unit and period."""
    return t(SAVED[stored.kind], unit=stored.unit_name, period=stored.period.label)
