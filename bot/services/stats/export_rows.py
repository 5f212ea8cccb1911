"""Rows of the XLSX report's history and directive sheets (kept apart from openpyxl)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import ThreadMessageKind, ThreadSide, ThreadStatus


@dataclass(frozen=True)
class HistoryRow:
    """One report for the "Lịch sử" sheet."""

    reported_at: datetime
    unit: str
    enrolled: int
    completed: int | None
    correction_reason: str | None
    reporter: str


@dataclass(frozen=True)
class DirectiveRow:
    """One directive for the "Thông báo" sheet."""

    created_at: datetime
    number: str | None
    subject: str
    recipients: int
    delivered: int
    acknowledged_units: int
    units: int


@dataclass(frozen=True)
class OpinionRow:
    """One message of a thread for the "Ý kiến" sheet, with its thread's status.

    A unit's note, photo or answer, or an officer's answer.
    """

    created_at: datetime
    unit: str
    author: str
    side: ThreadSide
    kind: ThreadMessageKind
    text: str | None
    status: ThreadStatus
