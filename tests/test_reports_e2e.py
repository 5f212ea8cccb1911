"""End-to-end: /baocao and /tiendo through the real Application and the sandbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update

import handlers.reports
from bot.sandbox.client import SandboxClient
from bot.telegram.context import BotApplication
from bot.telegram.ui.keyboards import report_button
from bot.texts import translator
from tests.conftest import ADMIN_ID
from tests.helpers import register, reports_of, snapshot

HEAD = 810_001
HEAD_T2 = 810_002
STRANGER = 810_099
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SessionFactory = async_sessionmaker[AsyncSession]


@pytest.fixture
async def head(app: BotApplication, client: SandboxClient, session_factory: SessionFactory) -> int:
    """A registered head of T01 (Thôn 1, 1.000 adults)."""
    await register(client, session_factory, HEAD, "T01")
    return HEAD


async def test_direct_report_is_recorded_and_echoed(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [reply] = await client.converse(head, "/baocao 120 45")
    assert reply["text"].startswith("✅ Đã ghi nhận — Thôn 1: 120 người đăng ký học")
    assert "45 người hoàn thành" in reply["text"]
    assert "12,0% người trưởng thành" in reply["text"]
    assert " · kỳ " in reply["text"]
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed, report.reporter_user_id) == (120, 45, head)
    assert report.is_correction is False


@pytest.mark.parametrize(
    ("typed", "enrolled"),
    [
        ("1.000", 1000),
        ("1 000", 1000),
        ("khoảng 120 người", 120),
        ("１２０", 120),
        ("một trăm hai mươi", 120),
        ("mot tram hai muoi", 120),
        ("hai trăm rưỡi", 250),
    ],
)
async def test_every_accepted_form_through_the_questions(
    head: int, client: SandboxClient, session_factory: SessionFactory, typed: str, enrolled: int
) -> None:
    [question] = await client.converse(head, "/baocao")
    assert "đã đăng ký học" in question["text"]
    [ask_completed] = await client.converse(head, typed)
    assert ask_completed["reply_markup"]["inline_keyboard"][0][0]["text"] == "Bỏ qua"
    [echo] = await client.click(head, ask_completed["message_id"], "report:skip")
    assert "Đã ghi nhận" in echo["text"]
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed) == (enrolled, None)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("-5", "số âm"),
        ("12,5", "thập phân"),
        ("100-120", "khoảng"),
        ("abc", "Không đọc được"),
        ("1001", "lớn hơn số người trưởng thành"),
        ("50%", "phần trăm"),
    ],
)
async def test_refused_forms_reprompt_and_store_nothing(
    head: int, client: SandboxClient, session_factory: SessionFactory, typed: str, reason: str
) -> None:
    await client.converse(head, "/baocao")
    [refusal] = await client.converse(head, typed)
    assert reason in refusal["text"] and "gõ lại" in refusal["text"]
    [again] = await client.converse(head, "15")
    assert "hoàn thành" in again["text"]
    [echo] = await client.converse(head, "5")
    assert "15 người đăng ký học" in echo["text"] and "5 người hoàn thành" in echo["text"]
    assert len(await reports_of(session_factory, "T01")) == 1


async def test_direct_refusals_store_nothing(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    for command, reason in [
        ("/baocao 10 20", "không thể lớn hơn số đăng ký"),
        ("/baocao 5000", "lớn hơn số người trưởng thành"),
        ("/baocao 1 2 3", "tối đa 2 số"),
        ("/baocao 12,5", "thập phân"),
    ]:
        [reply] = await client.converse(head, command)
        assert reason in reply["text"], command
    assert await reports_of(session_factory, "T01") == []


async def test_completed_above_enrolled_is_refused_in_questions(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(head, "/baocao")
    await client.converse(head, "10")
    [refusal] = await client.converse(head, "20")
    assert "không thể lớn hơn" in refusal["text"]
    assert await reports_of(session_factory, "T01") == []


async def test_same_number_again_counts_and_change_is_shown(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(head, "/baocao 100")
    [again] = await client.converse(head, "/baocao 100")
    assert "Đã ghi nhận" in again["text"]
    assert len(await reports_of(session_factory, "T01")) == 2


async def test_confirmed_decrease_is_stored_as_correction(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(head, "/baocao 120 40")
    [warning] = await client.converse(head, "/baocao 100 40")
    assert "120 → 100" in warning["text"]
    buttons = [b["text"] for b in warning["reply_markup"]["inline_keyboard"][0]]
    assert buttons == ["✅ Xác nhận", "✏️ Sửa"]
    [ask_reason] = await client.click(head, warning["message_id"], "report:confirm")
    assert "Lý do" in ask_reason["text"]
    [echo] = await client.converse(head, "tuần trước gõ nhầm")
    assert "Đã ghi nhận điều chỉnh" in echo["text"]
    first, second = await reports_of(session_factory, "T01")
    assert (first.enrolled, second.enrolled) == (120, 100)
    assert second.is_correction and second.correction_reason == "tuần trước gõ nhầm"


async def test_abandoned_decrease_stores_nothing(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(head, "/baocao 120")
    before = await snapshot(session_factory)
    await client.converse(head, "/baocao 90")
    [cancelled] = await client.converse(head, "/huy")
    assert "chưa ghi nhận" in cancelled["text"]
    warning = (await client.converse(head, "/baocao 80"))[0]
    [question] = await client.click(head, warning["message_id"], "report:edit")
    assert "đã đăng ký học" in question["text"]
    await client.converse(head, "/huy")
    assert [r.enrolled for r in await reports_of(session_factory, "T01")] == [120]
    assert (await snapshot(session_factory))["audit"] == before["audit"]


async def test_officer_reports_on_behalf_of_a_unit(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [reply] = await client.converse(ADMIN_ID, "/baocao T02 300 20")
    assert "Thôn 2" in reply["text"] and "báo cáo thay" in reply["text"]
    [report] = await reports_of(session_factory, "T02")
    assert report.on_behalf and report.reporter_user_id == ADMIN_ID
    [usage] = await client.converse(ADMIN_ID, "/baocao 300")
    assert "mã đơn vị" in usage["text"]


async def test_head_cannot_report_for_another_unit_and_stranger_is_refused(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    before = await snapshot(session_factory)
    [reply] = await client.converse(head, "/baocao T02 50")
    assert "đơn vị của mình" in reply["text"]
    [reply] = await client.converse(STRANGER, "/baocao 50")
    assert reply["html"] == translator("vi")("stranger.how_to")
    [reply] = await client.converse(STRANGER, "/tiendo")
    assert reply["html"] == translator("vi")("stranger.how_to")
    assert await snapshot(session_factory) == before


async def test_report_button_starts_the_questions(
    head: int, client: SandboxClient, app: BotApplication
) -> None:
    sent = await app.bot.send_message(
        head, "Nhắc báo cáo", reply_markup=report_button(translator())
    )
    [question] = await client.click(head, sent.message_id, "report:start")
    assert "đã đăng ký học" in question["text"]


async def test_stranger_cannot_press_report_button(
    head: int, client: SandboxClient, app: BotApplication, session_factory: SessionFactory
) -> None:
    await client.converse(STRANGER, "/start")
    sent = await app.bot.send_message(STRANGER, "x", reply_markup=report_button(translator()))
    [alert] = await client.click(STRANGER, sent.message_id, "report:start")
    assert alert["method"] == "answerCallbackQuery"
    assert alert["text"] == translator("vi").plain("stranger.button")
    assert alert["reply_markup"] == {"show_alert": True}


async def test_duplicate_update_is_stored_once_with_the_same_answer(
    head: int, client: SandboxClient, app: BotApplication, session_factory: SessionFactory
) -> None:
    payload: dict[str, Any] = {
        "update_id": 987_654,
        "message": {
            "message_id": 77,
            "date": int(datetime.now(TZ).timestamp()),
            "chat": {"id": head, "type": "private", "first_name": "T"},
            "from": {"id": head, "is_bot": False, "first_name": "T"},
            "text": "/baocao 200 10",
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
    }
    after = await client.last_seq()
    await app.process_update(Update.de_json(payload, app.bot))
    await app.process_update(Update.de_json(payload, app.bot))
    first, second = await client.expect(head, after=after, count=2)
    assert first["text"] == second["text"]
    [report] = await reports_of(session_factory, "T01")
    assert report.source_update_id == 987_654


async def test_week_boundary_in_local_time(
    head: int,
    client: SandboxClient,
    session_factory: SessionFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moments = iter(
        [datetime(2026, 11, 29, 23, 59, tzinfo=TZ), datetime(2026, 11, 30, 0, 0, tzinfo=TZ)]
    )
    current = {"now": next(moments)}
    monkeypatch.setattr(handlers.reports, "now_utc", lambda: current["now"])
    [sunday] = await client.converse(head, "/baocao 100")
    assert "kỳ 23/11–29/11/2026" in sunday["text"]
    current["now"] = next(moments)
    [monday] = await client.converse(head, "/baocao 115")
    assert "kỳ 30/11–06/12/2026" in monday["text"]
    assert "tăng 15 so với kỳ trước" in monday["text"]
    assert [r.period_key for r in await reports_of(session_factory, "T01")] == [
        "2026-W48",
        "2026-W49",
    ]


async def test_monthly_nd09_boundary(
    make_settings: Any,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.app import build_application, polling

    application = build_application(make_settings(report_period="monthly"))
    async with polling(application):
        await register(client, session_factory, HEAD, "T01")
        current = {"now": datetime(2026, 12, 14, 23, 59, tzinfo=TZ)}
        monkeypatch.setattr(handlers.reports, "now_utc", lambda: current["now"])
        [before] = await client.converse(HEAD, "/baocao 100")
        current["now"] = datetime(2026, 12, 15, 0, 0, tzinfo=TZ)
        [after] = await client.converse(HEAD, "/baocao 130")
    assert "kỳ 15/11–14/12/2026" in before["text"]
    assert "kỳ 15/12/2026–14/01/2027" in after["text"]
    assert [r.period_key for r in await reports_of(session_factory, "T01")] == [
        "2026-12",
        "2027-01",
    ]


async def test_progress_shows_figures_and_history(
    head: int,
    client: SandboxClient,
    session_factory: SessionFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [empty] = await client.converse(head, "/tiendo")
    assert "chưa có báo cáo" in empty["text"]
    current = {"now": datetime(2026, 11, 18, 9, 0, tzinfo=TZ)}
    monkeypatch.setattr(handlers.reports, "now_utc", lambda: current["now"])
    await client.converse(head, "/baocao 200 20")
    current["now"] = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
    await client.converse(head, "/baocao 382 45")
    [progress] = await client.converse(head, "/tiendo")
    text = progress["text"]
    assert "Tiến độ — Thôn 1" in text
    assert "382 / 1.000 người trưởng thành (38,2%)" in text
    assert "Hoàn thành: 45" in text
    assert "So với kỳ trước: tăng 182" in text
    assert "16/11" in text and "23/11" in text and "▇" in text


async def test_note_button_attaches_difficulties(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [echo] = await client.converse(head, "/baocao 50")
    data = echo["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    [ask] = await client.click(head, echo["message_id"], data)
    assert "khó khăn" in ask["text"]
    [saved] = await client.converse(head, "Thiếu điện thoại thông minh <b>")
    assert "Đã lưu" in saved["text"]
    [report] = await reports_of(session_factory, "T01")
    assert report.note == "Thiếu điện thoại thông minh <b>"


async def test_question_times_out(
    make_settings: Any, units: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    from bot.app import build_application, polling

    settings = make_settings()
    object.__setattr__(settings, "conversation_timeout_seconds", 1)
    application = build_application(settings)
    async with polling(application):
        await register(client, session_factory, HEAD, "T01")
        await client.converse(HEAD, "/baocao")
        [timeout] = await client.events(HEAD, after=await client.last_seq(), count=1, wait=5)
        assert "Hết thời gian" in timeout["text"]
        [reply] = await client.converse(HEAD, "120")
    # The dropped question is over: "120" is now read as a report to confirm, not stored.
    assert reply["text"].startswith("📝 Bot đọc được")
    assert await reports_of(session_factory, "T01") == []
