"""End-to-end: /thongke, /chuabaocao with "Nhắc ngay", /xuatexcel and the printable invites."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.services.registry.units import import_units_file
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import Directive, MessageKind
from models.db import Database
from tests.cli_helpers import run_cli
from tests.conftest import ADMIN_ID
from tests.helpers import make_invite, register

SessionFactory = async_sessionmaker[AsyncSession]
T01, T02, B01 = 840_001, 840_002, 840_003


async def _setup(client: SandboxClient, factory: SessionFactory) -> None:
    for user, code in ((T01, "T01"), (T02, "T02"), (B01, "B01")):
        await register(client, factory, user, code)
    await client.converse(T01, "/baocao 400 90")


async def test_thongke_summary_chart_and_buttons(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _setup(client, session_factory)
    summary, chart = await client.converse(ADMIN_ID, "/thongke", replies=2)
    text = summary["text"]
    assert "Người trưởng thành (thôn/buôn): 2.400" in text
    assert "Đã đăng ký học: 400 (16,7%)" in text
    assert "Đã báo cáo kỳ này: 1/3 thôn/buôn" in text
    assert "Thôn 1: 40,0% (400)" in text
    assert chart["method"] == "sendPhoto"
    assert (await client.download(chart["file_id"])).startswith(b"\x89PNG")
    labels = [b["text"] for row in summary["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["📋 Chi tiết", "⏰ Chưa báo cáo", "📊 Xuất Excel"]
    [detail] = await client.click(ADMIN_ID, summary["message_id"], "stats:detail:0")
    assert "Thôn 1: 400/1.000 (40,0%)" in detail["text"]


async def test_one_commune_ignores_words_after_thongke_and_chuabaocao(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _setup(client, session_factory)
    summary, _chart = await client.converse(ADMIN_ID, "/thongke T01", replies=2)
    assert "Đã báo cáo kỳ này: 1/3 thôn/buôn" in summary["text"]  # not "no commune T01"
    late = await client.converse(ADMIN_ID, "/chuabaocao tuan", settle=0.5)
    assert late[0]["text"].startswith("⏰ Chưa báo cáo kỳ")


async def test_a_long_chart_comes_as_an_album_of_phone_pages(
    app: BotApplication, client: SandboxClient, db: Database, tmp_path: Path
) -> None:
    more = tmp_path / "more.csv"
    rows = "".join(f"T{n:02d},Thôn {n},thon,{500 + n}\n" for n in range(3, 20))
    more.write_text("code,name,kind,adults\n" + rows, encoding="utf-8")
    await import_units_file(db, more)
    summary, first, second = await client.converse(ADMIN_ID, "/thongke", replies=3)
    assert summary["method"] == "sendMessage"
    # 20 thôn/buôn: two pages of ten, one album, the caption on its first photo.
    assert [first["method"], second["method"]] == ["sendMediaGroup", "sendMediaGroup"]
    assert first["html"] == translator("vi")("stats.chart_album", pages=2)
    for page in (first, second):
        png = await client.download(page["file_id"])
        assert Image.open(io.BytesIO(png)).size == (960, 1200)


async def test_chuabaocao_two_groups_mentions_and_nudge(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _setup(client, session_factory)
    vi = translator("vi")
    # A second contact of B01 whose name must be escaped in the mention.
    code = await make_invite(session_factory, "B01")
    await client.converse(840_013, f"/start {code}", first_name="Tú <&> Bé")
    registered, unregistered = await client.converse(ADMIN_ID, "/chuabaocao", replies=2)
    text, html = registered["text"], registered["html"]
    assert "3/4 đơn vị" in text and "Thôn 1" not in text
    assert "Thôn 2" in text and "Buôn Ea Tih mẫu" in text and "Công an xã" not in text
    assert f'<a href="tg://user?id={T02}">Trưởng T02</a>' in html
    assert '<a href="tg://user?id=840013">Tú &lt;&amp;&gt; Bé</a>' in html
    assert vi.plain("late.never") in text
    assert html.count('href="tg://user?id=') == 3
    [[nudge]] = registered["reply_markup"]["inline_keyboard"]
    assert nudge == {"text": vi.plain("button.nudge", people=3), "callback_data": "stats:nudge"}
    # Apart: the unit nobody registered for, with a button that brings its invite.
    # The unit is named once, on its button, not listed again above it.
    assert unregistered["html"] == vi("late.unregistered_tap", count=1)
    [[invite]] = unregistered["reply_markup"]["inline_keyboard"]
    assert invite == {"text": "Công an xã", "callback_data": "late:invite:CA"}
    hint, qr = await client.click(
        ADMIN_ID, unregistered["message_id"], invite["callback_data"], replies=2
    )
    assert hint["text"] == vi.plain("late.forward_hint")
    assert qr["method"] == "sendPhoto" and "Công an xã" in qr["text"] and "?start=" in qr["text"]

    after = await client.last_seq()
    [queued] = await client.click(ADMIN_ID, registered["message_id"], "stats:nudge")
    # Công an xã has nobody registered: it is not counted among the units chased.
    assert queued["text"] == vi.plain("late.nudged_skipping", people=3, units=2, skipped=1)
    for user, unit in ((T02, "Thôn 2"), (B01, "Buôn Ea Tih mẫu"), (840_013, "Buôn Ea Tih mẫu")):
        [chase] = await client.expect(user, after=after, timeout=10)
        # The chase names the head's own unit and the deadline (Friday 17:00 by default).
        assert chase["text"].startswith(f"⏰ {unit} chưa báo cáo kỳ ")
        assert ", hạn 17:00 Thứ Sáu " in chase["text"]
        assert chase["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "report:start"
    assert await client.events(T01, after=after) == []
    async with session_factory() as session:
        chases = list(await session.scalars(select(Directive)))
    assert [d.kind for d in chases] == [MessageKind.CHASE]
    # Only the units with someone to reach are chased.
    assert chases[0].audience == "units:B01,T02"
    # Pressed again (the answer seemed lost): nobody is chased twice within 10 minutes.
    after = await client.last_seq()
    await client.press(ADMIN_ID, registered["message_id"], "stats:nudge")
    [again] = await client.expect(ADMIN_ID, after=after)
    assert again["method"] == "answerCallbackQuery"
    assert again["text"].startswith("Các đơn vị chưa báo cáo vừa được nhắc lúc ")
    async with session_factory() as session:
        assert len(list(await session.scalars(select(Directive)))) == 1


async def test_chuabaocao_when_nobody_registered(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [only] = await client.converse(ADMIN_ID, "/chuabaocao")
    assert "4/4 đơn vị" in only["text"] and only["text"].count("🚫") == 1
    buttons = [b["callback_data"] for row in only["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["late:invite:B01", "late:invite:CA", "late:invite:T01", "late:invite:T02"]
    # Nobody to reach: the button is not offered, and the late list says why.
    assert "stats:nudge" not in buttons


async def test_xuatexcel_sends_the_workbook_and_the_pdf(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _setup(client, session_factory)
    xlsx, pdf = await client.converse(ADMIN_ID, "/xuatexcel", replies=2)
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    # Named by the day of export, not by the end of a period that has not ended yet.
    assert xlsx["file_name"] == f"bao-cao-binh-dan-hoc-vu-so-{today:%Y-%m-%d}.xlsx"
    assert pdf["file_name"] == f"bao-cao-binh-dan-hoc-vu-so-{today:%Y-%m-%d}.pdf"
    workbook = load_workbook(io.BytesIO(await client.download(xlsx["file_id"])))
    assert workbook["Tổng hợp"]["A1"].value == "ỦY BAN NHÂN DÂN"
    reader = PdfReader(io.BytesIO(await client.download(pdf["file_id"])))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "NGƯỜI LẬP BIỂU" in text and "Thôn 1" in text and "Chưa báo cáo" in text


async def test_moi_sends_the_printable_sheet(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    events = await client.converse(ADMIN_ID, "/moi", replies=2)
    sheet = next(e for e in events if e["method"] == "sendDocument")
    reader = PdfReader(io.BytesIO(await client.download(sheet["file_id"])))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Buôn Ea Tih mẫu" in text and "Công an xã" in text


async def test_head_cannot_see_statistics(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _setup(client, session_factory)
    for command in ("/thongke", "/chuabaocao", "/xuatexcel"):
        [reply] = await client.converse(T01, command)
        assert reply["text"] == "⛔ Bạn không có quyền dùng lệnh này."
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Directive)) == 0


def test_cli_export_and_pdf(db_url: str, tmp_path: Path) -> None:
    assert (
        run_cli(["units", "import", "../data/units.sample.csv"], DATABASE_URL=db_url).returncode
        == 0
    )
    xlsx = tmp_path / "bao-cao.xlsx"
    result = run_cli(["export", str(xlsx)], DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    assert load_workbook(xlsx)["Tổng hợp"]["A2"].value == "XÃ EA KNỐP"
    report = tmp_path / "bao-cao.pdf"
    result = run_cli(
        ["export", str(report)],
        DATABASE_URL=db_url,
        REPORT_SIGNER_NAME="Trần Văn Ký",
        REPORT_SIGNER_AUTHORITY="TM. ỦY BAN NHÂN DÂN",
        REPORT_SIGNER_TITLE="CHỦ TỊCH",
    )
    assert result.returncode == 0, result.stderr
    report_text = "".join(page.extract_text() for page in PdfReader(report).pages)
    assert "TM. ỦY BAN NHÂN DÂN" in report_text and "Trần Văn Ký" in report_text
    assert "Chưa báo cáo" in report_text and "TỔNG CỘNG" in report_text
    pdf = tmp_path / "moi.pdf"
    result = run_cli(["invites", "--pdf", str(pdf)], DATABASE_URL=db_url, BOT_USERNAME="eaknop_bot")
    assert result.returncode == 0, result.stderr
    assert len(PdfReader(pdf).pages) == 10  # 55 units, 6 per page
    assert run_cli(["export", str(tmp_path / "x.csv")], DATABASE_URL=db_url).returncode == 2
