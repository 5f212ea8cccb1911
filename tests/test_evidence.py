"""Evidence rows: written once per update, with a file name the bot makes up."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.services.reports.evidence import IncomingFile, planned_path, record_evidence
from bot.services.reports.periods import period_of_day
from bot.services.reports.reports import Reporter, Target
from bot.telegram.groups import GroupNotices
from models import EvidenceKind, EvidenceStatus
from models.db import Database

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_stored_names_are_the_bots_own() -> None:
    period = period_of_day(datetime(2026, 11, 25, tzinfo=UTC).date(), "weekly")
    name = planned_path("../T01 x", period, 7, ".pdf")
    assert re.fullmatch(r"2026-W48/___T01_x-7-[0-9a-f]{12}\.pdf", name)


async def test_a_redelivered_update_keeps_one_row(db: Database, units: None) -> None:
    target = Target(1, "Thôn 1", 1000, on_behalf=False)
    incoming = IncomingFile(
        EvidenceKind.DOCUMENT,
        "file-1",
        "unique-1",
        file_name="../../etc/passwd",
        mime_type="text/plain",
        caption="danh sách",
    )
    now = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    first = await record_evidence(
        db,
        target,
        Reporter(5, "Ông Ba"),
        incoming,
        update_id=42,
        now=now,
        period_kind="weekly",
        tz=TZ,
    )
    again = await record_evidence(
        db,
        target,
        Reporter(5, "Ông Ba"),
        incoming,
        update_id=42,
        now=now,
        period_kind="weekly",
        tz=TZ,
    )
    assert first.new and not again.new and again.evidence_id == first.evidence_id
    assert (first.unit_name, first.period.key, first.sender_name, first.caption) == (
        "Thôn 1",
        "2026-W48",
        "Ông Ba",
        "danh sách",
    )
    assert first.status == EvidenceStatus.PENDING
    # A name the sender chose never reaches the disk; an unknown type is stored as .bin.
    assert ".." not in first.stored_path and first.stored_path.endswith(".bin")


def test_a_group_hears_the_notice_once_in_a_while() -> None:
    clock = [0.0]
    notices = GroupNotices(hours=6, clock=lambda: clock[0])
    assert notices.due(-1) and not notices.due(-1) and notices.due(-2)
    clock[0] = 6 * 3600 - 1
    assert not notices.due(-1)
    clock[0] = 6 * 3600
    assert notices.due(-1)
