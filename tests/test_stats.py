"""Statistics against a hand-computed fixture, and the XLSX, chart and PDF outputs."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.documents.chart import chart_pages, chart_png, fits_an_album, layout, page_sizes
from bot.documents.invite_sheet import invite_sheet_pdf
from bot.documents.report_pdf import report_pdf
from bot.documents.report_table import Signatures
from bot.documents.xlsx import build_workbook
from bot.services.registry.units import find_unit
from bot.services.reports.periods import period_at
from bot.services.reports.reports import Figures, Reporter, Target
from bot.services.reports.submission import Request, submit_batch
from bot.services.stats.export_data import ExportData, export_data
from bot.services.stats.stats import (
    Summary,
    UnitStat,
    chart_bars,
    late_units,
    summary_and_units,
    unit_stats,
)
from bot.texts import translator
from models import Contact, Role, UnitKind
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
    # The chart shows every thôn/buôn, B01 as never reported (not 0 %); agencies are apart.
    assert chart_bars(stats) == [
        ("Buôn Ea Tih mẫu", None),
        ("Thôn 1", 40.0),
        ("Thôn 2", 25.0),
    ]


SIGNATURES = Signatures("Nguyễn Thị Lập", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Văn Ký")


async def _name_units(factory: Factory) -> None:
    """B01's head from the imported list; a unit whose name looks like a formula."""
    async with factory.begin() as session:
        b01 = await find_unit(session, "B01")
        ca = await find_unit(session, "CA")
        assert b01 is not None and ca is not None
        b01.head_name = "Y Nguyên Êban"
        ca.name = '=HYPERLINK("http://x")'


async def test_xlsx_layout_sections_formats_and_signatures(
    db: Database, session_factory: Factory, history: None
) -> None:
    await _name_units(session_factory)
    content = await export_data(db, NOW, TZ, "weekly")
    workbook = load_workbook(
        io.BytesIO(build_workbook(content, "Ea Knốp", SIGNATURES, TZ, translator("vi")))
    )
    assert workbook.sheetnames == ["Tổng hợp", "Lịch sử", "Thông báo", "Ý kiến"]
    sheet = workbook["Tổng hợp"]
    # NĐ 30 heading: the issuing body beside the motto, the number, place and date, the title.
    assert sheet["A1"].value == "ỦY BAN NHÂN DÂN" and sheet["A2"].value == "XÃ EA KNỐP"
    assert sheet["D1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert sheet["D2"].value == "Độc lập - Tự do - Hạnh phúc"
    assert sheet["D2"].font.bold and sheet["D2"].font.underline == "single"
    assert sheet["A4"].value == "Số: …/BC-UBND"
    assert sheet["D4"].value == "Ea Knốp, ngày 26 tháng 11 năm 2026" and sheet["D4"].font.i
    assert sheet["A6"].value == "BÁO CÁO" and sheet["A6"].font.bold
    assert "Bình dân học vụ số" in sheet["A7"].value
    assert sheet["A8"].value == "Kỳ báo cáo: 23/11/2026 – 29/11/2026"
    header = [cell.value for cell in sheet[10]]
    assert header == [
        "STT",
        "Đơn vị",
        "Số người trưởng thành",
        "Số người đăng ký học",
        "Tỷ lệ (%)",
        "Số người hoàn thành",
        "Ngày báo cáo gần nhất",
        "Người báo cáo",
        "Ảnh, tệp minh chứng trong kỳ",
        "Ghi chú",
    ]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=11, max_row=17)]
    # I. Thôn, buôn: its subtotal on its own row, formulas over the units below it.
    assert rows[0][:6] == [
        "I",
        "Thôn, buôn",
        "=SUM(C12:C14)",
        "=SUM(D12:D14)",
        '=IF(C11>0,D11/C11,"")',
        "=SUM(F12:F14)",
    ]
    # B01 never reported: "Chưa báo cáo", and the head's name from the imported list.
    assert rows[1] == [
        1,
        "Buôn Ea Tih mẫu",
        600,
        None,
        None,
        None,
        None,
        "Y Nguyên Êban",
        0,
        "Chưa báo cáo",
    ]
    # Dates are real dates (spreadsheets store them without a zone), shown as dd/mm/yyyy.
    reported_on = THIS_WEEK.replace(hour=0, tzinfo=None)
    assert rows[2][:8] == [2, "Thôn 1", 1000, 400, 0.4, 90, reported_on, "Ông Ba"]
    assert sheet["G13"].number_format == "dd/mm/yyyy"
    assert rows[2][9] is None
    # T02 reported last week only: its cumulative figure stands, marked as late.
    assert rows[3][1:5] == ["Thôn 2", 800, 200, 0.25] and rows[3][9] == "Chưa báo cáo"
    assert rows[4][:3] == ["II", "Cơ quan, trường học", "=SUM(C16:C16)"]
    assert rows[5][1] == '=HYPERLINK("http://x")' and sheet["B16"].data_type == "s"
    # The commune's total is section I: agencies' staff live in the thôn/buôn already.
    assert rows[6][1:6] == [
        "TỔNG CỘNG TOÀN XÃ (mục I)",
        "=C11",
        "=D11",
        '=IF(C17>0,D17/C17,"")',
        "=F11",
    ]
    for row in (11, 13, 17):
        assert [sheet.cell(row=row, column=c).number_format for c in (3, 4, 5, 6)] == [
            "#,##0",
            "#,##0",
            "0.0%",
            "#,##0",
        ]
        assert sheet.cell(row=row, column=2).border.left.style == "thin"
    assert sheet["A11"].font.bold and sheet["B17"].font.bold and not sheet["B13"].font.bold
    assert sheet["A18"].value.startswith("Ghi chú")
    # The signature block: the preparer on the left, the signer on the right, then the names.
    assert (sheet["A20"].value, sheet["E20"].value) == ("NGƯỜI LẬP BIỂU", "KT. CHỦ TỊCH")
    assert (sheet["A21"].value, sheet["E21"].value) == ("(Ký, ghi rõ họ tên)", "PHÓ CHỦ TỊCH")
    assert (sheet["A26"].value, sheet["E26"].value) == ("Nguyễn Thị Lập", "Trần Văn Ký")
    # "Nơi nhận" under the names, on the left (NĐ 30/2020).
    assert sheet["A28"].value == "Nơi nhận:" and sheet["A28"].font.bold
    assert sheet["A31"].value == "- Lưu: VT, VHXH."
    # One page wide, A4 landscape, the header row on every page.
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == int(sheet.PAPERSIZE_A4)
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$10:$10"
    # The other sheets: a title, a header row with borders, widths, printing set up.
    history_sheet = workbook["Lịch sử"]
    assert history_sheet["A1"].value == "LỊCH SỬ BÁO CÁO CỦA CÁC ĐƠN VỊ"
    assert history_sheet["A3"].value == "Thời gian" and history_sheet["A3"].border.top.style
    history_rows = list(history_sheet.iter_rows(min_row=4, values_only=True))
    assert len(history_rows) == 5 and history_rows[-1][4] == "gõ nhầm"
    assert history_sheet["C4"].number_format == "#,##0" and history_sheet["B4"].border.left.style
    assert history_sheet.column_dimensions["B"].width == 30
    assert history_sheet.print_title_rows == "$3:$3"
    assert workbook["Thông báo"]["A1"].value == "CÁC THÔNG BÁO, CHỈ ĐẠO ĐÃ GỬI"
    assert workbook["Thông báo"].page_setup.orientation == "landscape"


async def test_a_registered_head_is_named_before_the_imported_one(
    db: Database, session_factory: Factory, history: None
) -> None:
    await _name_units(session_factory)
    async with session_factory.begin() as session:
        b01 = await find_unit(session, "B01")
        assert b01 is not None
        session.add(
            Contact(
                telegram_user_id=5,
                chat_id=5,
                display_name="Chị Hoa",
                unit_id=b01.id,
                role=Role.HEAD,
            )
        )
    content = await export_data(db, NOW, TZ, "weekly")
    [b01_stat] = [s for s in content.units if s.code == "B01"]
    assert content.people[b01_stat.unit_id] == "Chị Hoa"


async def test_pdf_report_reads_like_the_workbook(
    db: Database, session_factory: Factory, history: None
) -> None:
    await _name_units(session_factory)
    content = await export_data(db, NOW, TZ, "weekly")
    pdf = report_pdf(content, "Ea Knốp", SIGNATURES, TZ, translator("vi"))
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    # Set in Liberation Serif, Times New Roman's metrics, shipped with the project.
    resources = page["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    page_fonts = resources["/Font"].get_object()
    assert isinstance(page_fonts, DictionaryObject)
    fonts = {str(font.get_object()["/BaseFont"]) for font in page_fonts.values()}
    assert fonts and all(name.split("+")[-1].startswith("LiberationSerif") for name in fonts)
    text = "\n".join(p.extract_text() for p in reader.pages)
    for expected in (
        "ỦY BAN NHÂN DÂN",
        "XÃ EA KNỐP",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: …/BC-UBND",
        "Ea Knốp, ngày 26 tháng 11 năm 2026",
        "BÁO CÁO",
        "Kỳ báo cáo: 23/11/2026 – 29/11/2026",
        "Thôn, buôn",
        "Cơ quan, trường học",
        "Chưa báo cáo",
        "TỔNG CỘNG",
        "NGƯỜI LẬP BIỂU",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Trần Văn Ký",
        "Nguyễn Thị Lập",
        "Y Nguyên Êban",
        # Subtotal I (600 + 1.000 + 800 adults, 400 + 200 enrolled), which is the commune's
        # total too: the agencies' 40 staff are not added a second time.
        "2.400",
        "25,0%",
    ):
        assert expected in text, expected
    assert "2.440" not in text and "630" not in text
    assert "Nơi nhận:" in text and "- Lưu: VT, VHXH." in text


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


def _stat(index: int, now: datetime) -> UnitStat:
    """A made-up thôn with a report this period."""
    return UnitStat(
        index,
        f"T{index:03d}",
        f"Thôn {index}",
        UnitKind.THON,
        800,
        400,
        100,
        now,
        "Ông Ba",
        300,
        True,
    )


@pytest.mark.parametrize("units", [20, 26, 29, 32, 38, 45, 60])
def test_the_signatures_never_stand_alone_on_a_page(units: int) -> None:
    period = period_at(NOW, "weekly", TZ)
    summary = Summary(period, period, 0, 0, 0, 0, 0, 0, 0, 0, 0, [], [])
    data = ExportData(summary, [_stat(i, NOW) for i in range(units)], [], [], NOW)
    pdf = report_pdf(data, "Ea Knốp", SIGNATURES, TZ, translator("vi"))
    last = PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    assert "NGƯỜI LẬP BIỂU" in last and "TỔNG CỘNG" in last and "Thôn" in last


def test_the_chart_keeps_every_unit_readable_for_45_and_200() -> None:
    from PIL import Image

    assert layout(45) == (1, 45) and layout(200) == (4, 50) and layout(51) == (2, 26)
    for count in (45, 200):
        bars = [(f"Thôn {i}", 0.0 if i % 7 == 0 else float(i % 100)) for i in range(count)]
        png = chart_png(bars, 90, "Tiến độ", "Kỳ", translator("vi"))
        width, height = Image.open(io.BytesIO(png)).size
        # Telegram keeps photos up to 2560 px a side; past that, labels would blur away.
        assert max(width, height) <= 2560 and height >= 20 * layout(count)[1]


def test_the_chart_reads_on_a_phone_as_pages_of_fifteen() -> None:
    from PIL import Image

    assert page_sizes(45) == [15, 15, 15] and page_sizes(16) == [8, 8] and page_sizes(3) == [3]
    assert fits_an_album(150) and not fits_an_album(151)
    bars: list[tuple[str, float | None]] = [(f"Thôn {i}", float(i)) for i in range(44)]
    bars.append(("Buôn Chưa", None))
    pages = chart_pages(bars, 90, "Tiến độ", "Kỳ", translator("vi"))
    assert len(pages) == 3
    for page in pages:
        # 4:5, the tallest shape Telegram shows whole in a chat, and all pages alike.
        assert Image.open(io.BytesIO(page)).size == (960, 1200)


@given(st.integers(min_value=1, max_value=2000))
def test_pages_hold_every_bar_evenly(count: int) -> None:
    sizes = page_sizes(count)
    assert sum(sizes) == count and max(sizes) <= 15 and max(sizes) - min(sizes) <= 1
