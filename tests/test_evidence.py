"""Evidence rows: written once per update, with a file name the bot makes up."""

from __future__ import annotations

import errno
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.reports.evidence import IncomingFile, planned_path, record_evidence
from bot.services.reports.periods import period_of_day
from bot.services.reports.reports import Reporter, Target
from bot.telegram.intake.evidence import _write
from bot.telegram.intake.groups import GroupNotices
from models import Evidence, EvidenceKind, EvidenceStatus
from models.db import Database
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import register

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


def test_a_full_disk_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = Path.write_bytes

    def half_then_full(self: Path, data: bytes) -> int:
        real_write(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_full)
    target = tmp_path / "evidence" / "2026-W49" / "T01-1.jpg"
    with pytest.raises(OSError):
        _write(target, b"x" * 1000)
    assert list(target.parent.iterdir()) == []


async def test_a_folder_that_refuses_files_alerts_the_admins_and_keeps_the_row(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")  # as a read-only disk refuses
    settings = make_settings(evidence_dir=str(blocker / "evidence"))
    async with polling(build_application(settings)):
        await client.open_chats([ADMIN_ID])
        await register(client, session_factory, 860_001, "T01")
        after = await client.last_seq()
        photo = io.BytesIO()
        Image.new("RGB", (32, 24), (200, 120, 40)).save(photo, "JPEG")
        await client.send_photo(860_001, photo.getvalue())
        [alert] = await client.expect(ADMIN_ID, after=after, timeout=15)
        assert alert["text"].startswith("⚠️ Không lưu được tệp minh chứng")
        assert str(blocker / "evidence") in alert["text"]
        async with session_factory() as session:
            [row] = list(await session.scalars(select(Evidence)))
        assert row.status == EvidenceStatus.PENDING  # fetched again at the next start
