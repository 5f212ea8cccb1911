"""Threads without Telegram: who receives what, idempotency, and the export ("Ý kiến", photos)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.documents.report_pdf import report_pdf
from bot.documents.report_table import Signatures
from bot.documents.xlsx import build_workbook
from bot.services.registry.units import find_unit
from bot.services.reports.evidence import IncomingFile
from bot.services.reports.reports import Reporter, Target
from bot.services.stats.export_data import export_data
from bot.services.threads.threads import (
    Posted,
    Resolution,
    Written,
    answer_unit,
    open_threads,
    receive_evidence,
    resolve_thread,
    send_note,
    write_to_commune,
)
from bot.telegram.ui.keyboards import staff_thread_buttons, unit_thread_buttons
from bot.texts import translator
from models import (
    Contact,
    Delivery,
    Directive,
    EvidenceKind,
    MessageKind,
    Report,
    Role,
    Thread,
    ThreadMessage,
    ThreadStatus,
)
from models.db import Database

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
HEAD, HEAD_B01, OFFICER, ADMIN = 5001, 5002, 5010, 5011
Factory = async_sessionmaker[AsyncSession]


class Outbox:
    """Counts how often the dispatcher would be woken."""

    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


async def _people(factory: Factory) -> dict[str, Target]:
    """Heads of T01 and B01, an officer and an admin; the two units as report targets."""
    targets = {}
    async with factory.begin() as session:
        for code, user in (("T01", HEAD), ("B01", HEAD_B01)):
            unit = await find_unit(session, code)
            assert unit is not None
            session.add(
                Contact(
                    telegram_user_id=user,
                    chat_id=user,
                    display_name=f"Trưởng {code}",
                    unit_id=unit.id,
                    role=Role.HEAD,
                )
            )
            targets[code] = Target(unit.id, unit.name, unit.adults, False)
        for user, role in ((OFFICER, Role.OFFICER), (ADMIN, Role.ADMIN)):
            session.add(
                Contact(telegram_user_id=user, chat_id=user, display_name="Cán bộ", role=role)
            )
    return targets


async def _report(factory: Factory, target: Target, user: int) -> int:
    """A report of the unit by `user`, this week."""
    async with factory.begin() as session:
        report = Report(
            unit_id=target.unit_id,
            period_key="2026-W48",
            enrolled=120,
            reporter_user_id=user,
            reporter_name="Trưởng",
            reported_at=NOW,
        )
        session.add(report)
        await session.flush()
        return report.id


def _photo(number: int, caption: str | None = None) -> IncomingFile:
    """A photo as Telegram describes it."""
    return IncomingFile(EvidenceKind.PHOTO, f"photo-{number}", f"u-{number}", caption=caption)


async def test_a_note_goes_to_every_officer_and_admin_once_and_only_from_its_author(
    db: Database, session_factory: Factory, units: None
) -> None:
    targets = await _people(session_factory)
    report_id = await _report(session_factory, targets["T01"], HEAD)
    outbox = Outbox()

    async def note(user: int, update_id: int) -> Posted | None:
        return await send_note(
            db,
            outbox,
            report_id,
            "Thiếu máy",
            Reporter(user, "Trưởng T01"),
            update_id=update_id,
            now=NOW,
            tz=TZ,
            period_kind="weekly",
            buttons_for=staff_thread_buttons,
        )

    # Someone else's report: refused, nothing stored.
    assert await note(HEAD_B01, 1) is None
    posted = await note(HEAD, 2)
    # The same update again (a redelivery after a crash): nothing new, nothing re-sent.
    again = await note(HEAD, 2)
    assert posted is not None and again is not None
    assert (posted.recipients, again.recipients) == (2, 0)
    assert outbox.woken == 1
    async with session_factory() as session:
        [directive] = list(await session.scalars(select(Directive)))
        chats = sorted(await session.scalars(select(Delivery.chat_id)))
        messages = await session.scalar(select(func.count()).select_from(ThreadMessage))
    assert directive.kind == MessageKind.FEEDBACK and directive.body == "Thiếu máy"
    assert directive.buttons == [
        [
            ["button.thread_reply", f"thread:answer:{posted.thread_id}"],
            ["button.thread_resolve", f"thread:done:{posted.thread_id}"],
        ]
    ]
    assert chats == [OFFICER, ADMIN] and messages == 1


async def test_answers_reach_the_units_contacts_and_one_open_thread_per_unit(
    db: Database, session_factory: Factory, units: None
) -> None:
    targets = await _people(session_factory)
    outbox = Outbox()
    stored = await receive_evidence(
        db,
        outbox,
        targets["T01"],
        Reporter(HEAD, "Trưởng T01"),
        _photo(1),
        update_id=10,
        media_group_id=None,
        now=NOW,
        period_kind="weekly",
        tz=TZ,
        buttons_for=staff_thread_buttons,
    )
    assert stored.new
    [view] = (await open_threads(db, 10)).threads
    answered = await answer_unit(
        db,
        outbox,
        view.thread_id,
        Reporter(OFFICER, "Cán bộ VHXH"),
        Written("Đã nhận, cảm ơn"),
        update_id=11,
        now=NOW,
        buttons_for=unit_thread_buttons,
    )
    assert answered is not None and answered.recipients == 1
    async with session_factory() as session:
        answer = await session.scalar(select(Directive).where(Directive.kind == MessageKind.ANSWER))
        assert answer is not None
        chats = list(
            await session.scalars(
                select(Delivery.chat_id).where(Delivery.directive_id == answer.id)
            )
        )
    assert chats == [HEAD] and answer.audience == "units:T01"
    assert answer.buttons == [[["button.thread_reply", f"thread:write:{view.thread_id}"]]]
    # Resolved, then the unit writes back: the same thread opens again (never two open).
    resolved = await resolve_thread(db, view.thread_id, OFFICER, NOW)
    assert resolved.outcome == Resolution.RESOLVED
    assert (await resolve_thread(db, view.thread_id, ADMIN, NOW)).outcome == Resolution.ALREADY
    back = await write_to_commune(
        db,
        outbox,
        view.thread_id,
        targets["T01"],
        Reporter(HEAD, "Trưởng T01"),
        Written("Vâng", _photo(2), None),
        update_id=12,
        now=NOW,
        period_kind="weekly",
        tz=TZ,
        buttons_for=staff_thread_buttons,
    )
    assert back is not None and back.thread_id == view.thread_id
    assert back.evidence is not None and back.evidence.new  # the photo is evidence too
    # Another unit's thread is not B01's to answer.
    refused = await write_to_commune(
        db,
        outbox,
        view.thread_id,
        targets["B01"],
        Reporter(HEAD_B01, "Trưởng B01"),
        Written("Nhầm"),
        update_id=13,
        now=NOW,
        period_kind="weekly",
        tz=TZ,
        buttons_for=staff_thread_buttons,
    )
    assert refused is None
    async with session_factory() as session:
        threads = list(await session.scalars(select(Thread)))
    assert [(t.status, t.resolved_by) for t in threads] == [(ThreadStatus.OPEN, None)]


SIGNATURES = Signatures("Nguyễn Thị Lập", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Văn Ký")


async def test_the_export_lists_every_opinion_and_counts_photos_per_unit(
    db: Database, session_factory: Factory, units: None
) -> None:
    targets = await _people(session_factory)
    outbox = Outbox()
    report_id = await _report(session_factory, targets["T01"], HEAD)
    # A note that looks like a formula stays text.
    await send_note(
        db,
        outbox,
        report_id,
        "=1+1 thiếu máy",
        Reporter(HEAD, "Trưởng T01"),
        update_id=1,
        now=NOW,
        tz=TZ,
        period_kind="weekly",
        buttons_for=staff_thread_buttons,
    )
    for number, (code, user) in enumerate((("T01", HEAD), ("T01", HEAD), ("B01", HEAD_B01))):
        await receive_evidence(
            db,
            outbox,
            targets[code],
            Reporter(user, f"Trưởng {code}"),
            _photo(number, "Danh sách" if code == "B01" else None),
            update_id=100 + number,
            media_group_id=None,
            now=NOW,
            period_kind="weekly",
            tz=TZ,
            buttons_for=staff_thread_buttons,
        )
    found = await open_threads(db, 10)
    by_unit = {view.unit_name: view.thread_id for view in found.threads}
    await answer_unit(
        db,
        outbox,
        by_unit["Thôn 1"],
        Reporter(OFFICER, "Cán bộ VHXH"),
        Written("Xã sẽ hỗ trợ"),
        update_id=200,
        now=NOW,
        buttons_for=unit_thread_buttons,
    )
    await resolve_thread(db, by_unit["Buôn Ea Tih mẫu"], OFFICER, NOW)

    content = await export_data(db, NOW, TZ, "weekly")
    t = translator("vi")
    workbook = load_workbook(io.BytesIO(build_workbook(content, "Ea Knốp", SIGNATURES, TZ, t)))
    assert workbook.sheetnames == ["Tổng hợp", "Lịch sử", "Thông báo", "Ý kiến"]
    sheet = workbook["Ý kiến"]
    assert sheet["A1"].value == "Ý KIẾN, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ VÀ TRẢ LỜI CỦA XÃ"
    assert [c.value for c in sheet[3]] == [
        "Thời gian",
        "Đơn vị",
        "Người gửi",
        "Loại",
        "Nội dung",
        "Trạng thái",
    ]
    rows = [row[1:] for row in sheet.iter_rows(min_row=4, values_only=True)]
    # Unit by unit, oldest first within each; each with its thread's status.
    assert rows == [
        ("Buôn Ea Tih mẫu", "Trưởng B01", "Ảnh minh chứng", "Danh sách", "Đã xử lý"),
        ("Thôn 1", "Trưởng T01", "Khó khăn, đề xuất", "=1+1 thiếu máy", "Chờ xử lý"),
        ("Thôn 1", "Trưởng T01", "Ảnh minh chứng", "(ảnh)", "Chờ xử lý"),
        ("Thôn 1", "Trưởng T01", "Ảnh minh chứng", "(ảnh)", "Chờ xử lý"),
        ("Thôn 1", "Cán bộ VHXH", "Cán bộ xã trả lời", "Xã sẽ hỗ trợ", "Chờ xử lý"),
    ]
    assert sheet["E5"].data_type == "s"  # never a formula
    assert sheet["A4"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet["A4"].value == NOW.replace(tzinfo=None)
    # "Tổng hợp": photos this period per unit, with the section subtotals and the total.
    summary = workbook["Tổng hợp"]
    assert summary["I10"].value == "Ảnh, tệp minh chứng trong kỳ"
    assert summary["J10"].value == "Ghi chú"
    evidence = {
        summary.cell(row=row, column=2).value: summary.cell(row=row, column=9).value
        for row in range(11, 18)
    }
    assert evidence["Buôn Ea Tih mẫu"] == 1 and evidence["Thôn 1"] == 2
    assert evidence["Thôn 2"] == 0 and evidence["Công an xã"] == 0
    assert evidence["Thôn, buôn"] == "=SUM(I12:I14)"
    assert evidence["TỔNG CỘNG TOÀN XÃ (mục I)"] == "=I11"
    assert summary["I13"].number_format == "#,##0"
    # The PDF prints the same column.
    pdf = report_pdf(content, "Ea Knốp", SIGNATURES, TZ, t)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Ảnh, tệp" in text and "Thôn 1 1.000 Trưởng T01 2 Chưa báo cáo" in text


@pytest.mark.parametrize("language", ["vi", "en"])
def test_thread_messages_read_in_each_language(language: str) -> None:
    from bot.services.broadcasts.content import DirectiveContent
    from bot.texts.directives import render_directive

    t = translator(language)
    feedback = DirectiveContent(
        subject="Thôn 1",
        body="<b>Thiếu</b> máy",
        kind="feedback",
        body_key="thread.staff.note",
        body_params={"unit": "Thôn 1", "period": "23/11–29/11/2026", "author": "A & B"},
    )
    rendered = render_directive(feedback, t, "Ea Knốp", "https://binhdanhocvuso.gov.vn")
    [text] = rendered.parts
    # User text is escaped; no course link in a thread's message.
    assert "&lt;b&gt;Thiếu&lt;/b&gt; máy" in text and "A &amp; B" in text
    assert "binhdanhocvuso" not in text
    answer = DirectiveContent(
        subject="Thôn 1",
        body="",
        kind="answer",
        body_key="thread.unit.answer",
        body_params={"quote": "Thiếu máy"},
        photo_file_ids=("p1",),
    )
    rendered = render_directive(answer, t, "Ea Knốp", "https://binhdanhocvuso.gov.vn")
    assert rendered.photo_file_ids == ("p1",)
    assert rendered.parts == [
        t("thread.unit.answer", text=t.plain("thread.photo_only"))
        + "\n"
        + t("thread.unit.about", quote="Thiếu máy")
    ]
