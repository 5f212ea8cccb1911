"""End-to-end: heads chat as they do in Zalo, and every message gets a useful answer.

Figures typed in chat, photos and documents kept as evidence, voice notes and stickers, the
keyboard under the text box, strangers, groups, stale buttons, and the completed figure that a
one-figure report keeps.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import Event, SandboxClient
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import Evidence, EvidenceKind, EvidenceStatus, UnitProgress
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import register, reports_of, snapshot

HEAD = 850_001
HEAD_T2 = 850_002
STRANGER = 850_099
GROUP = -100_850_001
VI = translator("vi")
SessionFactory = async_sessionmaker[AsyncSession]


@pytest.fixture
async def head(app: BotApplication, client: SandboxClient, session_factory: SessionFactory) -> int:
    """A registered head of T01 (Thôn 1, 1.000 adults)."""
    await register(client, session_factory, HEAD, "T01")
    return HEAD


def _labels(event: Event) -> list[str]:
    """The inline buttons' labels, row after row."""
    markup = event.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _data(event: Event, label: str) -> str:
    """The callback data of the inline button with this label."""
    markup = event.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {markup}")


def _sent(events: list[Event]) -> list[Event]:
    """The new messages among the events (not edits or answers)."""
    return [e for e in events if e["method"] in ("sendMessage", "sendPhoto", "sendDocument")]


def _jpeg(width: int = 64, height: int = 48) -> bytes:
    """A real little JPEG, as a phone would send."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


async def test_typed_figures_are_offered_then_stored_once_on_dung(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    after = await client.last_seq()
    update_id = await client.send(head, "được 35 người")
    [question] = await client.expect(head, after=after)
    assert question["html"] == VI(
        "report.free.read", unit="Thôn 1", lines=VI("report.free.enrolled_line", enrolled=35)
    )
    assert _labels(question) == ["✅ Đúng", "✏️ Sửa"]
    # Nothing is stored before the head says it is right.
    assert await reports_of(session_factory, "T01") == []
    events = await client.click(head, question["message_id"], _data(question, "✅ Đúng"), replies=2)
    assert events[0]["method"] == "editMessageReplyMarkup" and events[0]["reply_markup"] is None
    echo = events[1]
    assert echo["text"].startswith("✅ Đã ghi nhận — Thôn 1: 35 người đăng ký học")
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed, report.source_update_id) == (35, None, update_id)
    # Pressed twice (a double tap): the echo is not repeated (nor a congratulation in it), and
    # still one report.
    [again] = await client.click(head, question["message_id"], _data(question, "✅ Đúng"))
    assert again["text"] == VI.plain("button.expired")
    assert len(await reports_of(session_factory, "T01")) == 1


@pytest.mark.parametrize(
    ("user", "unit", "text", "figures"),
    [
        (HEAD_T2, "T02", "thôn 2 được 35 người, 10 người hoàn thành", (35, 10)),
        (HEAD, "T01", "Báo cáo 50 người", (50, None)),
        (HEAD, "T01", "35", (35, None)),
        (HEAD, "T01", "ba mươi lăm người", (35, None)),
    ],
)
async def test_figures_as_heads_write_them(
    app: BotApplication,
    client: SandboxClient,
    session_factory: SessionFactory,
    user: int,
    unit: str,
    text: str,
    figures: tuple[int, int | None],
) -> None:
    await register(client, session_factory, user, unit)
    [question] = await client.converse(user, text)
    await client.click(user, question["message_id"], _data(question, "✅ Đúng"), replies=2)
    [report] = await reports_of(session_factory, unit)
    assert (report.enrolled, report.completed) == figures


async def test_sua_asks_the_figures_one_by_one(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [question] = await client.converse(head, "được 53 người")
    events = await client.click(head, question["message_id"], _data(question, "✏️ Sửa"), replies=2)
    ask = _sent(events)[0]
    assert ask["html"] == VI("report.ask_enrolled", unit="Thôn 1")
    [ask_completed] = await client.converse(head, "35")
    await client.click(head, ask_completed["message_id"], "report:skip")
    [report] = await reports_of(session_factory, "T01")
    assert report.enrolled == 35
    # The reading's "✅ Đúng" is over once "Sửa" was chosen: answered, nothing stored.
    [expired] = await client.click(head, question["message_id"], _data(question, "✅ Đúng"))
    assert expired["text"] == VI.plain("button.expired")
    assert len(await reports_of(session_factory, "T01")) == 1


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("1 2 3 người", "report.free.too_many"),
        ("35 người được không?", "report.free.question"),
        ("10 người hoàn thành", "report.free.only_completed"),
        ("đăng ký thêm 10 người", "report.free.increment"),
    ],
)
async def test_unsure_readings_ask_and_store_nothing(
    head: int, client: SandboxClient, session_factory: SessionFactory, text: str, key: str
) -> None:
    [reply] = await client.converse(head, text)
    assert reply["html"] == VI(key)
    assert _labels(reply) == ["📝 Báo cáo"]
    assert await reports_of(session_factory, "T01") == []


async def test_refused_figures_say_why(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [reply] = await client.converse(head, "được 5000 người")
    assert "lớn hơn số người trưởng thành" in reply["text"] and "chưa ghi gì" in reply["text"]
    [reply] = await client.converse(head, "30-40 người")
    assert "khoảng" in reply["text"]
    assert await reports_of(session_factory, "T01") == []


async def test_a_lower_typed_figure_asks_and_keeps_completed(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(head, "/baocao 120 40")
    [question] = await client.converse(head, "được 100 người")
    events = await client.click(head, question["message_id"], _data(question, "✅ Đúng"), replies=2)
    warning = _sent(events)[0]
    assert "120 → <b>100</b>" in warning["html"]
    assert VI("report.decrease.completed_kept", completed=40) in warning["html"]
    [ask_reason] = await client.click(head, warning["message_id"], "report:confirm")
    assert "Lý do" in ask_reason["text"]
    [echo] = await client.converse(head, "tuần trước gõ nhầm")
    assert "điều chỉnh" in echo["text"] and "40 người hoàn thành (giữ nguyên)" in echo["text"]
    _first, second = await reports_of(session_factory, "T01")
    assert (second.enrolled, second.completed, second.completed_carried) == (100, 40, True)
    assert second.is_correction


async def test_one_figure_report_keeps_the_completed_figure_everywhere(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(head, "/baocao 35 10")
    # The reading already says what a one-figure report keeps.
    [question] = await client.converse(head, "được 38 người")
    assert VI("report.free.completed_kept", completed=10) in question["html"]
    [echo] = await client.converse(head, "/baocao 40")
    assert "40 người đăng ký học" in echo["text"]
    assert "10 người hoàn thành (giữ nguyên)" in echo["text"]
    [progress] = await client.converse(head, "/tiendo")
    assert "Hoàn thành: 10" in progress["text"]
    async with session_factory() as session:
        row = await session.scalar(select(UnitProgress))
    assert row is not None and (row.enrolled, row.completed) == (40, 10)
    summary, _ = await client.converse(ADMIN_ID, "/thongke", replies=2)
    assert "Đã hoàn thành: 10" in summary["text"]


async def test_progress_has_no_empty_periods_and_no_change_without_a_past(
    head: int, client: SandboxClient
) -> None:
    await client.converse(head, "/baocao 35")
    [progress] = await client.converse(head, "/tiendo")
    assert "So với kỳ trước" not in progress["text"]
    # One period: the one with the report, no empty bars before it.
    [row] = progress["text"].split("1 kỳ gần đây:\n", 1)[1].splitlines()
    assert row.endswith("35 ✓")


async def test_photo_is_kept_as_evidence_with_its_file(
    head: int,
    client: SandboxClient,
    session_factory: SessionFactory,
    app: BotApplication,
) -> None:
    content = _jpeg()
    after = await client.last_seq()
    update_id = await client.send_photo(head, content)
    [reply] = await client.expect(head, after=after)
    period = _period_label(reply)
    assert reply["html"] == VI("evidence.saved_photo", unit="Thôn 1", period=period)
    row = await _evidence_when_settled(session_factory)
    assert (row.kind, row.sender_user_id, row.source_update_id) == (
        EvidenceKind.PHOTO,
        head,
        update_id,
    )
    assert row.status == EvidenceStatus.STORED and row.stored_path is not None
    folder = app.bot_data.settings.evidence_path
    assert (folder / row.stored_path).read_bytes() == content
    # The name is the bot's own: no user text in it.
    assert Path(row.stored_path).name.startswith("T01-")


async def _evidence_when_settled(factory: SessionFactory) -> Evidence:
    """The one evidence row, once its download is done (it follows the answer)."""
    for _ in range(100):  # bounded: at most 10 s
        async with factory() as session:
            rows = list(await session.scalars(select(Evidence)))
        if rows and rows[0].status != EvidenceStatus.PENDING:
            return rows[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"evidence still pending: {rows}")


def _period_label(event: Event) -> str:
    """The period named in an evidence answer ("kỳ 23/11–29/11/2026")."""
    return str(event["text"]).split("kỳ ", 1)[1].split(".", 1)[0]


async def test_photo_caption_with_figures_is_offered_as_a_report(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    after = await client.last_seq()
    update_id = await client.send_photo(head, _jpeg(), caption="được 40 người, 12 hoàn thành")
    saved, question = await client.expect(head, after=after, count=2)
    assert saved["text"].startswith("📷 Đã lưu ảnh")
    assert (
        "• 40 người đăng ký học" in question["text"] and "• 12 người hoàn thành" in question["text"]
    )
    await client.click(head, question["message_id"], _data(question, "✅ Đúng"), replies=2)
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed, report.source_update_id) == (40, 12, update_id)


async def test_document_and_an_album_are_kept_with_one_answer_each(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    after = await client.last_seq()
    await client.send_document(head, b"%PDF-1.4 danh sach", "ds.pdf", mime="application/pdf")
    [reply] = await client.expect(head, after=after)
    assert reply["text"].startswith("📎 Đã lưu tệp làm minh chứng cho Thôn 1")
    file_id = await client.upload(_jpeg(), "a.jpg", "image/jpeg")
    after = await client.last_seq()
    for number in (1, 2, 3):
        await client.push_update(_album_photo(head, file_id, number))
    answers = await client.events(head, after=after, count=2, wait=3)
    assert len(answers) == 1 and answers[0]["text"].startswith("📷 Đã lưu ảnh")
    async with session_factory() as session:
        rows = list(await session.scalars(select(Evidence).order_by(Evidence.id)))
    assert [r.kind for r in rows] == [EvidenceKind.DOCUMENT, *[EvidenceKind.PHOTO] * 3]
    assert rows[0].file_name == "ds.pdf" and rows[0].stored_path is not None
    assert rows[0].stored_path.endswith(".pdf")


def _album_photo(user: int, file_id: str, number: int) -> dict[str, Any]:
    """One photo of an album (Telegram sends each as its own message)."""
    return {
        "message": {
            "message_id": 9000 + number,
            "date": 1_790_000_000,
            "chat": {"id": user, "type": "private", "first_name": "T"},
            "from": {"id": user, "is_bot": False, "first_name": "T"},
            "media_group_id": "album-1",
            "photo": [
                {"file_id": file_id, "file_unique_id": f"u{number}", "width": 64, "height": 48}
            ],
        }
    }


async def test_big_files_keep_their_row_but_are_not_downloaded(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    from bot.app import build_application, polling

    async with polling(build_application(make_settings(evidence_max_mb=1))):
        await register(client, session_factory, HEAD, "T01")
        after = await client.last_seq()
        await client.send_document(HEAD, b"x" * (1024 * 1024 + 1), "lon.pdf")
        [reply] = await client.expect(HEAD, after=after)
        assert reply["text"].startswith("📎 Đã lưu tệp")
        row = await _evidence_when_settled(session_factory)
    assert row.status == EvidenceStatus.TOO_LARGE and row.file_id


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("sticker", "chat.sticker"),
        ("video", "chat.video"),
        ("location", "chat.location"),
        ("contact", "chat.contact"),
    ],
)
async def test_stickers_and_the_like_get_a_kind_answer(
    head: int, client: SandboxClient, session_factory: SessionFactory, kind: str, key: str
) -> None:
    after = await client.last_seq()
    if kind == "sticker":
        await client.send_sticker(head)
    elif kind == "video":
        await client.send_video(head)
    elif kind == "location":
        await client.send_location(head, 12.8, 108.4)
    else:
        await client.send_contact(head, "0912345678", "Ông Ba")
    [reply] = await client.expect(head, after=after)
    assert reply["html"] == VI("chat.media", what=VI(key))
    assert _labels(reply) == ["📝 Báo cáo"]
    [question] = await client.click(head, reply["message_id"], _data(reply, "📝 Báo cáo"))
    assert question["html"] == VI("report.ask_enrolled", unit="Thôn 1")


async def test_greetings_get_buttons_that_work(head: int, client: SandboxClient) -> None:
    [reply] = await client.converse(head, "Xin chào bot")
    assert reply["html"] == VI("chat.head_other", unit="Thôn 1")
    assert _labels(reply) == ["📝 Báo cáo", "📈 Tiến độ", "❓ Hướng dẫn", "🌟 Chia sẻ cách làm hay"]
    [progress] = await client.click(head, reply["message_id"], _data(reply, "📈 Tiến độ"))
    assert progress["html"] == VI("progress.none")
    [help_] = await client.click(head, reply["message_id"], _data(reply, "❓ Hướng dẫn"))
    assert "/tiendo" in help_["text"] and "/thongbao" not in help_["text"]
    [unknown] = await client.converse(head, "/khongco")
    assert unknown["html"] == VI("chat.unknown_command", command="/khongco")
    assert _labels(unknown) == [
        "📝 Báo cáo",
        "📈 Tiến độ",
        "❓ Hướng dẫn",
        "🌟 Chia sẻ cách làm hay",
    ]


async def test_the_heads_keyboard_does_what_the_commands_do(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [question] = await client.converse(head, "📝 Báo cáo")
    assert question["html"] == VI("report.ask_enrolled", unit="Thôn 1")
    # A label in the middle of a question is the label, not an answer.
    [progress] = await client.converse(head, "📈 Tiến độ")
    assert progress["html"] == VI("progress.none")
    [ask_completed] = await client.converse(head, "45")
    assert "hoàn thành" in ask_completed["text"]
    await client.click(head, ask_completed["message_id"], "report:skip")
    [help_] = await client.converse(head, "❓ Hướng dẫn")
    assert help_["html"] == VI(
        "help.head", course_url="https://binhdanhocvuso.gov.vn", commune="xã Ea Knốp"
    )
    before = await snapshot(session_factory)
    [refused] = await client.converse(head, "📊 Thống kê")
    assert refused["html"] == VI("access.not_allowed")
    assert await snapshot(session_factory) == before


async def test_officers_keyboard_and_help(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(STRANGER, "/start")
    after = await client.last_seq()
    [granted] = await client.converse(ADMIN_ID, f"/phanquyen {STRANGER} officer")
    assert "cán bộ xã" in granted["text"]
    [notice] = await client.expect(STRANGER, after=after)
    assert notice["reply_markup"]["is_persistent"] is True
    keyboard = await client.reply_keyboard(STRANGER)
    assert keyboard is not None
    assert [[b["text"] for b in row] for row in keyboard["keyboard"]] == [
        ["📊 Thống kê", "⏰ Chưa báo cáo"],
        ["📢 Thông báo", "❓ Hướng dẫn"],
    ]
    # The summary, then the chart of every unit (at 0 % for now).
    summary, chart = await client.converse(STRANGER, "📊 Thống kê", replies=2)
    assert chart["method"] == "sendPhoto"
    assert "Kết quả Bình dân học vụ số" in summary["text"]
    [late] = await client.converse(STRANGER, "⏰ Chưa báo cáo")
    assert "Chưa báo cáo kỳ" in late["text"]
    [menu] = await client.converse(STRANGER, "📢 Thông báo")
    assert menu["html"] == VI("compose.menu")
    await client.converse(STRANGER, "/huy")
    [help_] = await client.converse(STRANGER, "❓ Hướng dẫn")
    assert "/thongbao" in help_["text"] and "/phanquyen" not in help_["text"]
    [admin_help] = await client.converse(ADMIN_ID, "/huongdan")
    assert "/phanquyen" in admin_help["text"]


async def test_strangers_always_learn_how_to_register(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    how_to = VI("stranger.how_to")
    before = await snapshot(session_factory)
    for text in ("được 35 người", "/baocao 35", "📝 Báo cáo", "/khongco"):
        [reply] = await client.converse(STRANGER, text)
        assert reply["html"] == how_to, text
    # /huy is for anyone (the contract): a stranger simply has nothing to cancel.
    [cancelled] = await client.converse(STRANGER, "/huy")
    assert cancelled["html"] == VI("cancel.nothing")
    for send in (client.send_voice, client.send_sticker):
        after = await client.last_seq()
        await send(STRANGER)
        [reply] = await client.expect(STRANGER, after=after)
        assert reply["html"] == how_to
    after = await client.last_seq()
    await client.send_photo(STRANGER, _jpeg())
    [reply] = await client.expect(STRANGER, after=after)
    assert reply["html"] == how_to
    [help_] = await client.converse(STRANGER, "/huongdan")
    assert "Cách đăng ký" in help_["text"]
    assert "không có quyền" not in help_["text"]
    assert await snapshot(session_factory) == before


async def test_groups_hear_once_that_the_bot_works_in_private(
    app: BotApplication, client: SandboxClient
) -> None:
    chat: dict[str, Any] = {"chat_type": "group", "chat_id": GROUP, "chat_title": "Zalo cũ"}
    after = await client.last_seq()
    await client.send(STRANGER, "thôn 2 được 35 người", **chat)
    [reply] = await client.converse(STRANGER, "/baocao@binhdan_sandbox_bot 35", **chat)
    assert reply["chat_id"] == GROUP
    assert reply["html"] == VI("group.private_only", link="https://t.me/binhdan_sandbox_bot")
    # Addressed again within six hours: quiet, the group has already been told.
    await client.send(HEAD, "@binhdan_sandbox_bot ơi", **chat)
    later = await client.events(GROUP, after=after, count=2, wait=2)
    assert [e["seq"] for e in later] == [reply["seq"]]


async def test_stale_and_forged_buttons_are_always_answered(
    head: int, client: SandboxClient, app: BotApplication
) -> None:
    await client.converse(head, "/baocao")
    [ask_completed] = await client.converse(head, "45")
    await client.converse(head, "/huy")
    # The question is over: its "Bỏ qua" gets an answer, and loses its button.
    events = await client.click(head, ask_completed["message_id"], "report:skip", replies=2)
    answer = next(e for e in events if e["method"] == "answerCallbackQuery")
    assert answer["text"] == VI.plain("button.expired")
    assert any(e["method"] == "editMessageReplyMarkup" for e in events)
    sent = await app.bot.send_message(head, "nút cũ")
    # A button of an older version of the bot: expired, not "not allowed".
    [old] = await client.click(head, sent.message_id, "report:fromanoldversion")
    assert old["text"] == VI.plain("button.expired")
    # Data the bot never built is refused.
    [forged] = await client.click(head, sent.message_id, "forged:1")
    assert forged["text"] == VI.plain("access.not_allowed")


async def test_descriptions_are_set_in_vietnamese(
    app: BotApplication, client: SandboxClient
) -> None:
    info = await client.bot_info()
    assert info["descriptions"][""] == VI.plain("bot.description")
    assert info["short_descriptions"][""] == VI.plain("bot.short_description")


def test_descriptions_fit_telegrams_limits() -> None:
    from bot.texts import available_languages

    for language in available_languages():
        t = translator(language)
        assert len(t.plain("bot.description")) <= 512, language
        assert len(t.plain("bot.short_description")) <= 120, language


async def test_english_keyboard_labels_work(head: int, client: SandboxClient) -> None:
    [offer] = await client.converse(head, "/ngonngu")
    events = await client.click(head, offer["message_id"], "lang:en")
    assert _sent(events)[0]["reply_markup"]["keyboard"][0][0]["text"] == "📝 Report"
    [question] = await client.converse(head, "📝 Report")
    assert question["html"] == translator("en")("report.ask_enrolled", unit="Thôn 1")


async def test_a_directive_with_a_deadline_carries_report_beside_ack(
    head: int, client: SandboxClient, session_factory: SessionFactory, app: BotApplication
) -> None:
    from datetime import date

    from bot.services.broadcasts.audience import Audience
    from bot.services.broadcasts.content import DirectiveContent
    from bot.services.broadcasts.directives import queue_directive
    from models.base import utcnow

    after = await client.last_seq()
    content = DirectiveContent(
        subject="Báo cáo", body="Đề nghị báo cáo.", deadline=date(2026, 12, 4)
    )
    await queue_directive(
        app.bot_data.db,
        app.bot_data.outbox,
        content,
        Audience("all"),
        actor_user_id=None,
        now=utcnow(),
    )
    [directive] = await client.expect(head, after=after, timeout=10)
    assert _labels(directive) == ["✅ Đã nhận", "📝 Báo cáo"]
    thanks, edited = await client.click(
        head, directive["message_id"], _data(directive, "✅ Đã nhận"), replies=2
    )
    assert thanks["text"] == VI.plain("ack.recorded")
    assert edited["method"] == "editMessageReplyMarkup"
    assert _labels(edited)[0].startswith("✅ Đã nhận lúc") and _labels(edited)[1] == "📝 Báo cáo"
    [question] = await client.click(head, directive["message_id"], "report:start")
    assert question["html"] == VI("report.ask_enrolled", unit="Thôn 1")


async def test_reminders_and_chases_name_the_unit_and_the_deadline(
    head: int, client: SandboxClient, session_factory: SessionFactory, app: BotApplication
) -> None:
    from bot.services.reports.periods import current_deadline
    from bot.services.schedules.schedules import schedule_views
    from models import ScheduleKind
    from models.base import utcnow
    from scheduler.jobs import run_now

    await register(client, session_factory, HEAD_T2, "T02")
    await client.converse(HEAD_T2, "/baocao 20")
    views = await schedule_views(app.bot_data.db, utcnow(), app.bot_data.settings)
    kinds = {view.kind: view.schedule_id for view in views}
    after = await client.last_seq()
    assert await run_now(app, kinds[ScheduleKind.REMINDER]) == 2
    [reminder] = await client.expect(head, after=after, timeout=10)
    await client.expect(HEAD_T2, after=after, timeout=10)  # both sent before the chase
    # Run on a Saturday or a Sunday, the week's Friday deadline has passed, and it says so.
    passed = current_deadline(app.bot_data.settings, utcnow()) <= utcnow()
    opening = "📚 Mời bà con Thôn 1" if passed else "📚 Tuần mới, mời bà con Thôn 1 tiếp tục học"
    assert reminder["text"].startswith(opening)
    assert "17:00 Thứ Sáu " in reminder["text"]
    assert ("đã qua" in reminder["text"]) == passed
    assert _labels(reminder) == ["📝 Báo cáo"]
    after = await client.last_seq()
    # Thôn 1 is late (Thôn 2 reported; Buôn Ea Tih and Công an xã have nobody to tell).
    assert await run_now(app, kinds[ScheduleKind.CHASE]) == 1
    [chase] = await client.expect(head, after=after, timeout=10)
    assert chase["text"].startswith("⏰ Thôn 1 chưa báo cáo kỳ ")
    assert await client.events(HEAD_T2, after=after) == []


async def test_a_lower_enrolled_figure_under_the_kept_completed_asks_for_both(
    head: int, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(head, "/baocao 100 50")
    [reply] = await client.converse(head, "/baocao 40")
    assert reply["html"] == VI("report.completed_left_behind", completed=50, enrolled=40)
    assert len(await reports_of(session_factory, "T01")) == 1


async def test_staff_without_a_unit_are_pointed_to_their_keyboard(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [reply] = await client.converse(ADMIN_ID, "được 35 người")
    assert reply["html"] == VI("chat.staff_other")
    assert reply["reply_markup"]["keyboard"][0][0]["text"] == "📊 Thống kê"
    after = await client.last_seq()
    await client.send_photo(ADMIN_ID, _jpeg())
    [photo] = await client.expect(ADMIN_ID, after=after)
    assert photo["html"] == VI("evidence.no_unit")
    async with session_factory() as session:
        assert list(await session.scalars(select(Evidence))) == []
    assert await reports_of(session_factory, "T01") == []
