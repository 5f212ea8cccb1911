"""End-to-end: an admin sends a unit list as a document: a preview, then ✅ Nhập or ❌ Hủy."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import AuditEvent, Evidence, Unit
from tests.conftest import ADMIN_ID
from tests.helpers import button_data, register, snapshot

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEAD = 892_001
CSV = (
    "code,name,kind,adults\n"
    "T01,Thôn 1,thon,1200\n"  # changed: 1.000 → 1.200 adults
    "T02,Thôn 2,thon,800\n"  # unchanged
    "T31,Thôn 31,thon,600\n"  # new
).encode()


async def _send(client: SandboxClient, user: int, content: bytes, name: str) -> dict[str, Any]:
    after = await client.last_seq()
    await client.send_document(user, content, name)
    [answer] = await client.expect(user, after=after)
    return answer


async def _adults(session_factory: SessionFactory) -> dict[str, int | None]:
    async with session_factory() as session:
        return {u.code: u.adults for u in await session.scalars(select(Unit))}


async def test_a_csv_is_previewed_then_imported_once(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    unchanged = await snapshot(session_factory)
    preview = await _send(client, ADMIN_ID, CSV, "ds.csv")
    text = preview["text"]
    assert text.startswith("📄 ds.csv: 3 đơn vị")
    assert "➕ Thêm mới (1): T31 Thôn 31" in text and "✏️ Thay đổi (1): T01 Thôn 1" in text
    assert "▫️ Giữ nguyên: 1" in text
    assert await snapshot(session_factory) == unchanged, "a preview changes nothing"
    yes = button_data(preview, "✅ Nhập")
    [done] = await client.click(ADMIN_ID, preview["message_id"], yes)
    assert done["html"] == VI("units.file.imported", created=1, updated=1)
    adults = await _adults(session_factory)
    assert (adults["T01"], adults["T02"], adults["T31"]) == (1200, 800, 600)
    # Pressed again: one line, no second import (no second audit event either).
    [again] = await client.click(ADMIN_ID, preview["message_id"], yes)
    assert again["html"] == VI("units.file.stale")
    async with session_factory() as session:
        events = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "units.imported"))
        )
    assert [(e.actor_user_id, e.details) for e in events if e.actor_user_id] == [
        (ADMIN_ID, {"created": 1, "updated": 1})
    ]


async def test_an_xlsx_cancelled_changes_nothing_and_a_file_with_errors_is_refused(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (("code", "name", "kind", "adults"), ("T41", "Thôn 41", "thon", 700)):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    unchanged = await snapshot(session_factory)
    preview = await _send(client, ADMIN_ID, buffer.getvalue(), "ds.xlsx")
    assert "➕ Thêm mới (1): T41 Thôn 41" in preview["text"]
    [cancelled] = await client.click(
        ADMIN_ID, preview["message_id"], button_data(preview, "❌ Hủy")
    )
    assert cancelled["html"] == VI("units.file.cancelled")
    bad = b"code,name,kind,adults\nT51,Thon 51,lang,12\nT52,,thon,-3\n"
    refused = await _send(client, ADMIN_ID, bad, "loi.csv")
    assert refused["text"].startswith("❌ Không nhập được tệp này, chưa có gì thay đổi: dòng 2")
    assert "dòng 3" in refused["text"] and not refused.get("reply_markup")
    same_file = "code,name,kind,adults\nT02,Thôn 2,thon,800\n".encode()
    same = await _send(client, ADMIN_ID, same_file, "y.csv")
    assert VI("units.file.nothing") in same["html"] and not same.get("reply_markup")
    assert await snapshot(session_factory) == unchanged


async def test_a_heads_csv_is_evidence_as_before(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    answer = await _send(client, HEAD, CSV, "ds.csv")
    assert "T31" not in answer["text"]
    async with session_factory() as session:
        assert await session.scalar(select(Evidence.id)) is not None
        assert await session.scalar(select(Unit.id).where(Unit.code == "T31")) is None


async def test_codes_match_as_people_type_them(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    lower = "code,name,kind,adults\nt01,Thôn 1,thon,1100\n".encode()
    preview = await _send(client, ADMIN_ID, lower, "thuong.csv")
    assert "✏️ Thay đổi (1): t01 Thôn 1" in preview["text"] and "➕" not in preview["text"]
    await client.click(ADMIN_ID, preview["message_id"], button_data(preview, "✅ Nhập"))
    async with session_factory() as session:
        codes = sorted(await session.scalars(select(Unit.code)))
    assert codes == ["B01", "CA", "T01", "T02"], "no second unit beside T01"
    assert (await _adults(session_factory))["T01"] == 1100
