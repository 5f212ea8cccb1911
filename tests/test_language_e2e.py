"""/ngonngu end to end: a head, an officer and an admin switch to English and back."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import Event, SandboxClient
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import LanguageChoice
from tests.conftest import ADMIN_ID
from tests.helpers import make_invite, register

HEAD = 830_001
OFFICER = 830_002
EN, VI = translator("en"), translator("vi")
SessionFactory = async_sessionmaker[AsyncSession]


def _button(event: Event, label: str) -> str:
    """The callback data of the button with this label."""
    for row in event["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {event['reply_markup']}")


async def _choose(client: SandboxClient, user: int, label: str) -> Event:
    """Send /ngonngu and press the language's button; return the confirmation."""
    [offer] = await client.converse(user, "/ngonngu")
    labels = [b["text"] for row in offer["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Tiếng Việt", "English"]
    [confirmation] = await client.click(user, offer["message_id"], _button(offer, label))
    return confirmation


async def _language_of(session_factory: SessionFactory, user: int) -> str | None:
    """The language stored for a person."""
    async with session_factory() as session:
        language: str | None = await session.scalar(
            select(LanguageChoice.language).where(LanguageChoice.telegram_user_id == user)
        )
        return language


async def test_head_reads_and_reports_in_english_then_back_in_vietnamese(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    confirmation = await _choose(client, HEAD, "English")
    assert confirmation["text"] == EN.plain("language.chosen")
    assert await _language_of(session_factory, HEAD) == "en"
    menu = await client.commands(f"chat:{HEAD}")
    assert menu is not None
    descriptions = {entry["command"]: entry["description"] for entry in menu}
    assert descriptions["baocao"] == EN.plain("command.baocao")
    [echo] = await client.converse(HEAD, "/baocao 120 45")
    assert echo["text"].startswith("✅ Recorded — Thôn 1: 120 people enrolled")
    assert "45 completed" in echo["text"] and "12.0% of adults" in echo["text"]
    [refusal] = await client.converse(HEAD, "/baocao 5000")
    assert "above the unit's adults (1,000)" in refusal["text"]
    confirmation = await _choose(client, HEAD, "Tiếng Việt")
    assert confirmation["text"] == VI.plain("language.chosen")
    [echo] = await client.converse(HEAD, "/tiendo")
    assert echo["text"].startswith("📊 Tiến độ — Thôn 1")


async def test_officer_and_admin_get_statistics_menus_and_the_xlsx_in_english(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    from models import Role

    code = await make_invite(session_factory, None, role=Role.OFFICER, max_uses=1)
    await client.converse(OFFICER, f"/start {code}")
    await _choose(client, OFFICER, "English")
    # Every thôn/buôn is on the chart, those with no report at 0 %: the summary, then the chart.
    summary, chart = await client.converse(OFFICER, "/thongke", replies=2)
    assert chart["method"] == "sendPhoto"
    assert summary["text"].startswith("📊 Bình dân học vụ số results — Ea Knốp commune")
    assert "Reported this period: 0/3 villages" in summary["text"]
    officer_menu = await client.commands(f"chat:{OFFICER}")
    assert officer_menu is not None
    assert {e["command"]: e["description"] for e in officer_menu}["thongke"] == (
        EN.plain("command.thongke")
    )
    await _choose(client, ADMIN_ID, "English")
    document, pdf = await client.converse(ADMIN_ID, "/xuatexcel", replies=2)
    workbook = load_workbook(io.BytesIO(await client.download(str(document["file_id"]))))
    assert workbook.sheetnames == ["Summary", "History", "Directives", "Notes"]
    headers = [cell.value for cell in workbook["Summary"][10]][:3]
    assert headers == ["No.", "Unit", "Adults"]
    assert workbook["Summary"]["A6"].value == "REPORT"
    assert pdf["file_name"].endswith(".pdf") and pdf["text"].startswith("🖨 The PDF")
    [units] = await client.converse(ADMIN_ID, "/donvi")
    assert units["text"].startswith("Units (4)")
    [other] = await client.converse(HEAD, "/start")
    assert "Bạn chưa" not in other["text"] and other["text"].startswith("Xin chào")
