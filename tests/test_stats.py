"""Statistics against a hand-computed fixture, and the XLSX, chart and PDF outputs."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.documents.chart import chart_png
from bot.documents.invite_sheet import invite_sheet_pdf
from bot.documents.xlsx import build_workbook
from bot.services.registry.units import find_unit
from bot.services.reports.periods import period_at
from bot.services.reports.reports import Figures, Reporter, Target
from bot.services.reports.submission import Request, submit_batch
from bot.services.stats.export_data import export_data
from bot.services.stats.stats import late_units, summary_and_units, unit_stats
from bot.texts import translator
from models.db import Database

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LAST_WEEK = datetime(2026, 11, 18, 9, 0, tzinfo=TZ)
THIS_WEEK = datetime(2026, 11, 25, 9, 0, tzinfo=TZ)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
Factory = async_sessionmaker[AsyncSession]


async def _report(
    factory: Factory,
    code: str,
    when: datetime,
    enrolled: int,
    completed: int | None = None,
    reason: str | None = None,
    update_id: int = 0,
) -> None:
    async with factory() as session:
        unit = await find_unit(session, code)
        assert unit is not None
        target = Target(unit.id, unit.name, unit.adults, False)
    request = Request(
        target, Figures(enrolled, completed), Reporter(1, "Ông Ba"), update_id or None, when, reason
    )
    async with factory.begin() as session:
        [result] = await submit_batch(session, [request], "weekly", TZ)
        assert not result.needs_confirmation


@pytest.fixture
async def history(session_factory: Factory, units: None) -> None:
    """T01 (1.000 adults): 300 last week, 450/100 this week, then corrected to 400/90.
    T02 (800 adults): 200 last week, nothing this week. B01 (600): never reported.
    CA (agency, 40 staff): 30 this week."""
    await _report(session_factory, "T01", LAST_WEEK, 300, 50, update_id=1)
    await _report(session_factory, "T01", THIS_WEEK, 450, 100, update_id=2)
    await _report(session_factory, "T01", THIS_WEEK.replace(hour=10), 400, 90, "gõ nhầm", 3)
    await _report(session_factory, "T02", LAST_WEEK, 200, update_id=4)
    await _report(session_factory, "CA", THIS_WEEK, 30, 30, update_id=5)


async def test_summary_matches_hand_computed_figures(
    session_factory: Factory, history: None
) -> None:
    async with session_factory() as session:
        summary, stats = await summary_and_units(session, NOW, TZ, "weekly")
    # Thôn/buôn only: adults 1.000 + 800 + 600; enrolled 400 (T01 corrected) + 200 (T02) + 0.
    assert summary.adults == 2400
    assert summary.enrolled == 600
    assert summary.completed == 90
    assert summary.percent == pytest.approx(25.0)
    assert summary.previous_enrolled == 500  # 300 (T01) + 200 (T02) before this week
    assert (summary.residential_reported, summary.residential_units) == (1, 3)
    assert (summary.agency_reported, summary.agency_units, summary.agency_enrolled) == (1, 1, 30)
    assert [s.code for s in summary.top] == ["T01", "T02"]
    assert [s.code for s in late_units(stats)] == ["B01", "T02"]
    b01 = next(s for s in stats if s.code == "B01")
    assert b01.enrolled is None and b01.reported_at is None


async def test_xlsx_layout_and_totals(db: Database, history: None) -> None:
    content = await export_data(db, NOW, TZ, "weekly")
    data = build_workbook(content, "Ea Knốp", TZ, translator("vi"))
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Tổng hợp", "Lịch sử", "Thông báo"]
    sheet = workbook["Tổng hợp"]
    assert sheet["A1"].value == "ỦY BAN NHÂN DÂN" and sheet["A2"].value == "XÃ EA KNỐP"
    assert sheet["E1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert sheet["E2"].value == "Độc lập - Tự do - Hạnh phúc"
    assert "BÌNH DÂN HỌC VỤ SỐ" in sheet["A5"].value
    assert sheet["A6"].value == "Kỳ báo cáo: 23/11/2026 – 29/11/2026"
    header = [cell.value for cell in sheet[8]][:9]
    assert header[:3] == ["STT", "Đơn vị", "Loại"] and header[5] == "Tỷ lệ (%)"
    rows = [[c.value for c in row][:9] for row in sheet.iter_rows(min_row=9, max_row=12)]
    assert rows[0][1:6] == ["Buôn Ea Tih mẫu", "Buôn", 600, None, None]
    assert rows[1][1:8] == ["Thôn 1", "Thôn", 1000, 400, 40.0, 90, "25/11/2026"]
    assert rows[3][1] == "Công an xã"  # agencies after the thôn/buôn
    total = [c.value for c in sheet[13]]
    assert total[1] == "TỔNG CỘNG (thôn/buôn)"
    assert total[3] == "=SUM(D9,D10,D11)" and total[4] == "=SUM(E9,E10,E11)"
    assert sheet.print_title_rows == "$8:$8"
    assert sheet.page_setup.orientation == "landscape"
    history_rows = list(workbook["Lịch sử"].iter_rows(min_row=2, values_only=True))
    assert len(history_rows) == 5 and history_rows[-1][4] == "gõ nhầm"


def test_chart_is_a_png_with_vietnamese_labels() -> None:
    png = chart_png(
        [("Buôn Đắk Liêng", 45.0), ("Thôn Ếa", 92.0)],
        90,
        "Tiến độ — xã Ea Knốp",
        "Kỳ",
        translator("vi"),
    )
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 5000


def test_invite_pdf_has_every_unit_name() -> None:
    names = [f"Buôn Ê Đê số {i}" for i in range(8)] + ["Thôn Đoàn Kết"]
    pdf = invite_sheet_pdf(
        [(n, f"https://t.me/b?start=c{i}") for i, n in enumerate(names)],
        "Ea Knốp",
        translator("vi"),
    )
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    for name in names:
        assert name in text
    assert "Bắt đầu" in text


async def test_stats_query_uses_period_start(session_factory: Factory, history: None) -> None:
    period = period_at(NOW, "weekly", TZ)
    async with session_factory() as session:
        stats = await unit_stats(session, period, TZ)
    t01 = next(s for s in stats if s.code == "T01")
    assert (t01.enrolled, t01.previous_enrolled, t01.reported_this_period) == (400, 300, True)
