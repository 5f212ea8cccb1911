"""End-to-end: /thongke, /chuabaocao with "Nhắc ngay", /xuatexcel and the printable invites."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.telegram.context import BotApplication
from models import Directive, MessageKind
from tests.cli_helpers import run_cli
from tests.conftest import ADMIN_ID
from tests.helpers import register

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


async def test_chuabaocao_and_nudge_through_the_outbox(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _setup(client, session_factory)
    [late] = await client.converse(ADMIN_ID, "/chuabaocao")
    assert (
        "3/4 đơn vị" in late["text"] and "Thôn 2" in late["text"] and "Thôn 1" not in late["text"]
    )
    assert "Trưởng T02" in late["text"] and "chưa bao giờ" in late["text"]
    after = await client.last_seq()
    [queued] = await client.click(ADMIN_ID, late["message_id"], "stats:nudge")
    # Công an xã has nobody registered: it is not counted among the units chased.
    assert "Đang nhắc 2 đơn vị (2 người nhận)" in queued["text"]
    assert "1 đơn vị chưa có ai đăng ký" in queued["text"]
    for user, unit in ((T02, "Thôn 2"), (B01, "Buôn Ea Tih mẫu")):
        [chase] = await client.expect(user, after=after, timeout=10)
        # The chase names the head's own unit and the deadline (Friday 17:00 by default).
        assert chase["text"].startswith(f"⏰ {unit} chưa báo cáo kỳ ")
        assert ", hạn 17:00 Thứ Sáu " in chase["text"]
        assert chase["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "report:start"
    assert await client.events(T01, after=after) == []
    async with session_factory() as session:
        kinds = list(await session.scalars(select(Directive.kind)))
    assert kinds == [MessageKind.CHASE]


async def test_xuatexcel_sends_the_workbook(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _setup(client, session_factory)
    [document] = await client.converse(ADMIN_ID, "/xuatexcel")
    assert document["method"] == "sendDocument" and document["file_name"].endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(await client.download(document["file_id"])))
    assert workbook["Tổng hợp"]["A1"].value == "ỦY BAN NHÂN DÂN"


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
    pdf = tmp_path / "moi.pdf"
    result = run_cli(["invites", "--pdf", str(pdf)], DATABASE_URL=db_url, BOT_USERNAME="eaknop_bot")
    assert result.returncode == 0, result.stderr
    assert len(PdfReader(pdf).pages) == 10  # 55 units, 6 per page
    assert run_cli(["export", str(tmp_path / "x.csv")], DATABASE_URL=db_url).returncode == 2
