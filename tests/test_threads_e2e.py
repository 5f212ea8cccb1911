"""End-to-end: notes and photos reach officers, officers answer, heads answer back, /phanhoi.

Everything goes through the real bot and the sandbox: the note and the photo are forwarded
through the outbox with "↩️ Trả lời", the officer's answer reaches the unit's contacts as a
message from the commune, the head's answer back reaches the officers, and /phanhoi lists
the thread and closes it.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import Event, SandboxClient
from bot.services.registry.contacts import grant
from bot.services.reports.periods import period_at
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import (
    AuditEvent,
    Contact,
    Evidence,
    Report,
    Role,
    Thread,
    ThreadMessage,
    ThreadMessageKind,
    ThreadSide,
    ThreadStatus,
    Unit,
)
from models.db import Database
from tests.conftest import ADMIN_ID
from tests.helpers import register

HEAD = 860_001
TEAM = 860_002  # a second contact of Thôn 1 (the Tổ công nghệ số)
HEAD_T2 = 860_003
OFFICER = 860_010
VI = translator("vi")
NOTE = "Thiếu điện thoại thông minh cho người cao tuổi"
ANSWER = "Xã sẽ mượn máy của trường để hỗ trợ"
SessionFactory = async_sessionmaker[AsyncSession]
# The names Telegram shows for each person (as at registration).
NAMES = {HEAD: "Trưởng T01", TEAM: "Tổ CNS T01", HEAD_T2: "Trưởng T02", OFFICER: "Cán bộ VHXH"}


@pytest.fixture
async def people(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory, db: Database
) -> None:
    """Two contacts of Thôn 1, a head of Thôn 2, an officer; the admin is from ADMIN_IDS."""
    await register(client, session_factory, HEAD, "T01")
    await register(client, session_factory, TEAM, "T01")
    await register(client, session_factory, HEAD_T2, "T02")
    await grant(db, actor_user_id=None, user_id=OFFICER, role=Role.OFFICER)
    await client.open_chats([OFFICER, ADMIN_ID])


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


def _jpeg(colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A real little JPEG, as a phone would send."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


async def _arrives(
    client: SandboxClient, chat: int, after: int, needle: str, timeout: float = 15
) -> tuple[list[Event], Event]:
    """Wait (through the outbox) for the message in `chat` whose text contains `needle`.

    Returns every event of the chat up to it, and the message itself.
    """
    seen: list[Event] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for event in await client.events(chat, after=after, count=1, wait=1):
            after = event["seq"]
            seen.append(event)
            if event["method"] == "sendMessage" and needle in (event.get("text") or ""):
                return seen, event
    raise AssertionError(f"no message with {needle!r} in chat {chat}: {seen}")


async def _note(client: SandboxClient, user: int, note: str) -> None:
    """Report, press "✍️ Khó khăn, đề xuất" under the echo, and type the note."""
    [echo] = await client.converse(user, "/baocao 120 30", first_name=NAMES[user])
    [ask] = await client.click(user, echo["message_id"], _data(echo, "✍️ Khó khăn, đề xuất"))
    assert ask["html"] == VI("note.ask")
    [saved] = await client.converse(user, note, first_name=NAMES[user])
    assert saved["html"] == VI("note.saved")


async def _period_label(session_factory: SessionFactory, app: BotApplication) -> str:
    """The period of Thôn 1's report, as the forward names it."""
    async with session_factory() as session:
        report = await session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    assert report is not None
    settings = app.bot_data.settings
    return period_at(report.reported_at, settings.report_period, settings.tz).label


async def test_a_note_and_a_photo_reach_officers_who_answer_and_the_head_answers_back(
    people: None, app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    start = await client.last_seq()
    await _note(client, HEAD, NOTE)
    period = await _period_label(session_factory, app)
    # The note reaches every officer and admin at once, naming the unit, the period, the head.
    heading = VI("thread.staff.note", unit="Thôn 1", period=period, author="Trưởng T01")
    for staff in (OFFICER, ADMIN_ID):
        _, forward = await _arrives(client, staff, start, "Ý kiến của Thôn 1")
        assert forward["html"] == heading + "\n" + VI("thread.text", text=NOTE)
        assert _labels(forward) == ["↩️ Trả lời", "✅ Đã xử lý"]
    # An evidence photo follows the same road: the photo itself, then its text and buttons.
    after = await client.last_seq()
    await client.send_photo(HEAD, _jpeg(), caption="Danh sách tuần này", first_name=NAMES[HEAD])
    seen, photo_text = await _arrives(client, OFFICER, after, "Ảnh minh chứng của Thôn 1")
    [photo] = [e for e in seen if e["method"] == "sendPhoto"]
    async with session_factory() as session:
        evidence = await session.scalar(select(Evidence))
    assert evidence is not None and photo["file_id"] == evidence.file_id
    assert photo_text["html"] == (
        VI("thread.staff.photo", unit="Thôn 1", period=period, author="Trưởng T01")
        + "\n"
        + VI("thread.text", text="Danh sách tuần này")
    )
    assert _data(photo_text, "↩️ Trả lời") == _data(forward, "↩️ Trả lời")  # one thread
    # The officer answers the note; it reaches both contacts of Thôn 1, not Thôn 2.
    _, forward = await _arrives(client, OFFICER, start, "Ý kiến của Thôn 1")
    [ask] = await client.click(OFFICER, forward["message_id"], _data(forward, "↩️ Trả lời"))
    assert ask["text"].startswith("↩️ Trả lời Thôn 1") and "Danh sách tuần này" in ask["text"]
    after = await client.last_seq()
    [sent] = await client.converse(OFFICER, ANSWER, first_name=NAMES[OFFICER])
    assert sent["html"] == VI("thread.sent_to_unit", unit="Thôn 1", people=2)
    assert _labels(sent) == ["✅ Đã xử lý"]
    for contact in (HEAD, TEAM):
        _, answer = await _arrives(client, contact, after, "Cán bộ xã trả lời")
        assert answer["html"] == (
            VI("thread.unit.answer", text=ANSWER)
            + "\n"
            + VI("thread.unit.about", quote="Danh sách tuần này")
        )
        assert _labels(answer) == ["↩️ Trả lời"]
    assert not [
        e for e in await client.events(HEAD_T2, after=after) if "Cán bộ xã" in (e["text"] or "")
    ]
    # The head answers back; the officers read it under "↩️ Thôn 1 trả lời cán bộ xã".
    _, answer = await _arrives(client, HEAD, after, "Cán bộ xã trả lời")
    [ask_back] = await client.click(HEAD, answer["message_id"], _data(answer, "↩️ Trả lời"))
    assert ask_back["html"] == VI("thread.ask_unit")
    after = await client.last_seq()
    [thanks] = await client.converse(
        HEAD, "Cảm ơn xã, thôn sẽ liên hệ trường", first_name=NAMES[HEAD]
    )
    assert thanks["html"] == VI("thread.sent_to_commune")
    _, back = await _arrives(client, OFFICER, after, "Thôn 1 trả lời cán bộ xã")
    assert back["html"].endswith(VI("thread.text", text="Cảm ơn xã, thôn sẽ liên hệ trường"))
    # Nothing of it was read as figures or as another note.
    async with session_factory() as session:
        reports = list(await session.scalars(select(Report)))
        messages = list(await session.scalars(select(ThreadMessage).order_by(ThreadMessage.id)))
        [thread] = list(await session.scalars(select(Thread)))
        events = [e.action for e in await session.scalars(select(AuditEvent))]
    assert len(reports) == 1 and reports[0].note == NOTE
    assert [(m.side, m.kind) for m in messages] == [
        (ThreadSide.UNIT, ThreadMessageKind.NOTE),
        (ThreadSide.UNIT, ThreadMessageKind.PHOTO),
        (ThreadSide.COMMUNE, ThreadMessageKind.TEXT),
        (ThreadSide.UNIT, ThreadMessageKind.TEXT),
    ]
    assert [m.author_user_id for m in messages] == [HEAD, HEAD, OFFICER, HEAD]
    assert all(m.thread_id == thread.id and m.directive_id for m in messages)
    assert thread.status == ThreadStatus.OPEN
    assert events.count("thread.message") == 4


async def test_phanhoi_lists_open_threads_newest_first_and_closes_one(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    after = await client.last_seq()
    await _note(client, HEAD, NOTE)
    await _note(client, HEAD_T2, "Cần thêm tài liệu hướng dẫn")
    # Both notes reach the officer through the outbox first; otherwise the second one,
    # paced behind the first in the officer's chat, could be taken for /phanhoi's answer.
    await _arrives(client, OFFICER, after, "Ý kiến của Thôn 2")
    [listing] = await client.converse(OFFICER, "/phanhoi")
    text = listing["text"]
    assert text.startswith("💬 Ý kiến đang chờ xử lý: 2")
    # Newest first: Thôn 2 wrote last.
    assert text.index("1. Thôn 2") < text.index("2. Thôn 1")
    assert "Trưởng T02" in text and "Cần thêm tài liệu hướng dẫn" in text
    assert _labels(listing) == ["↩️ 1. Thôn 2", "✅ Đã xử lý (1)", "↩️ 2. Thôn 1", "✅ Đã xử lý (2)"]
    events = await client.click(OFFICER, listing["message_id"], _data(listing, "✅ Đã xử lý (2)"))
    toast = next(e for e in events if e["method"] == "answerCallbackQuery")
    assert toast["text"] == VI.plain("thread.resolved", unit="Thôn 1")
    # The list is the same message, now without Thôn 1.
    [edited] = await client.events(OFFICER, after=toast["seq"], count=1, wait=5)
    assert edited["message_id"] == listing["message_id"]
    assert "Thôn 1" not in edited["text"] and "1. Thôn 2" in edited["text"]
    async with session_factory() as session:
        statuses = {
            t.unit_id: (t.status, t.resolved_by) for t in await session.scalars(select(Thread))
        }
    assert sorted(statuses.values()) == [
        (ThreadStatus.OPEN, None),
        (ThreadStatus.RESOLVED, OFFICER),
    ]
    # Pressed again (or by another officer): it says when, and changes nothing.
    again = await client.click(OFFICER, listing["message_id"], _data(listing, "✅ Đã xử lý (2)"))
    assert again[0]["text"].startswith("Ý kiến của Thôn 1 đã được xử lý lúc")
    # A head may not see /phanhoi nor press "✅ Đã xử lý".
    [refused] = await client.converse(HEAD, "/phanhoi")
    assert refused["html"] == VI("access.not_allowed")
    # /thongke counts the thread still open and offers the list.
    summary, _chart = await client.converse(OFFICER, "/thongke", replies=2)
    assert VI("stats.open_threads", count=1) in summary["html"]
    assert "💬 Ý kiến chờ xử lý (1)" in _labels(summary)


async def test_a_unit_writing_again_reopens_its_thread(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    after = await client.last_seq()
    await _note(client, HEAD, NOTE)
    _, forward = await _arrives(client, OFFICER, after, "Ý kiến của Thôn 1")
    await client.click(OFFICER, forward["message_id"], _data(forward, "✅ Đã xử lý"))
    # The button is gone from that message; "↩️ Trả lời" stays.
    [edited] = [
        e
        for e in await client.events(OFFICER, after=forward["seq"], count=2, wait=5)
        if e["method"] == "editMessageReplyMarkup"
    ]
    assert _labels(edited) == ["↩️ Trả lời"]
    # The officer still answers, with a photo; the head answers back: the thread is open again.
    await client.click(OFFICER, forward["message_id"], _data(forward, "↩️ Trả lời"))
    after = await client.last_seq()
    await client.send_photo(OFFICER, _jpeg((0, 90, 200)))
    seen, answer = await _arrives(client, HEAD, after, "Cán bộ xã trả lời")
    [photo] = [e for e in seen if e["method"] == "sendPhoto"]
    assert photo["file_id"] and photo["message_id"] < answer["message_id"]
    assert answer["html"].startswith(VI("thread.unit.answer", text=VI.plain("thread.photo_only")))
    await client.click(HEAD, answer["message_id"], _data(answer, "↩️ Trả lời"))
    await client.converse(HEAD, "Vâng ạ")
    async with session_factory() as session:
        threads = list(await session.scalars(select(Thread)))
    assert [(t.status, t.resolved_at) for t in threads] == [(ThreadStatus.OPEN, None)]


async def test_a_pending_answer_ends_when_the_officer_does_something_else(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    after = await client.last_seq()
    await _note(client, HEAD, NOTE)
    _, forward = await _arrives(client, OFFICER, after, "Ý kiến của Thôn 1")
    reply = _data(forward, "↩️ Trả lời")
    # /huy drops the answer.
    await client.click(OFFICER, forward["message_id"], reply)
    [cancelled] = await client.converse(OFFICER, "/huy")
    assert cancelled["html"] == VI("thread.cancelled")
    # A command runs as usual, and what is typed afterwards is no answer.
    await client.click(OFFICER, forward["message_id"], reply)
    # (Thôn 2 has someone to chase; Buôn Ea Tih mẫu and Công an xã have nobody yet.)
    await client.converse(OFFICER, "/chuabaocao", replies=2)
    [other] = await client.converse(OFFICER, "gửi nhầm")
    assert other["html"] == VI("chat.staff_other")
    # Inside the composer, the answer still goes to the unit, not into the directive.
    [menu] = await client.converse(OFFICER, "/thongbao")
    await client.click(OFFICER, menu["message_id"], _data(menu, "✍️ Soạn mới"))
    await client.click(OFFICER, forward["message_id"], reply)
    [sent] = await client.converse(OFFICER, ANSWER)
    assert sent["html"] == VI("thread.sent_to_unit", unit="Thôn 1", people=2)
    async with session_factory() as session:
        commune = list(
            await session.scalars(
                select(ThreadMessage.text).where(ThreadMessage.side == ThreadSide.COMMUNE)
            )
        )
    assert commune == [ANSWER]


async def test_a_head_who_moved_to_another_unit_cannot_answer_for_the_old_one(
    people: None, app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    after = await client.last_seq()
    await _note(client, HEAD, NOTE)
    _, forward = await _arrives(client, OFFICER, after, "Ý kiến của Thôn 1")
    await client.click(OFFICER, forward["message_id"], _data(forward, "↩️ Trả lời"))
    after = await client.last_seq()
    await client.converse(OFFICER, ANSWER)
    _, answer = await _arrives(client, HEAD, after, "Cán bộ xã trả lời")
    # Heads may not press the officers' buttons (data forged under their own message).
    for label in ("↩️ Trả lời", "✅ Đã xử lý"):
        denied = await client.click(HEAD, answer["message_id"], _data(forward, label))
        assert denied[0]["text"] == VI.plain("access.not_allowed")
    async with session_factory.begin() as session:
        t02 = await session.scalar(select(Unit.id).where(Unit.code == "T02"))
        await session.execute(
            update(Contact).where(Contact.telegram_user_id == HEAD).values(unit_id=t02)
        )
    app.bot_data.identities.forget(HEAD)
    events = await client.click(HEAD, answer["message_id"], _data(answer, "↩️ Trả lời"))
    assert events[0]["text"] == VI.plain("thread.not_yours")
    async with session_factory() as session:
        unit_messages = await session.scalar(
            select(func.count())
            .select_from(ThreadMessage)
            .where(ThreadMessage.side == ThreadSide.UNIT)
        )
    assert unit_messages == 1


def _album_photo(user: int, file_id: str, number: int, caption: str | None) -> dict[str, Any]:
    """One photo of an album (Telegram sends each as its own message)."""
    message: dict[str, Any] = {
        "message_id": 9100 + number,
        "date": 1_790_000_000,
        "chat": {"id": user, "type": "private", "first_name": "T"},
        "from": {"id": user, "is_bot": False, "first_name": "Trưởng T01"},
        "media_group_id": "album-7",
        "photo": [{"file_id": file_id, "file_unique_id": f"a{number}", "width": 64, "height": 48}],
    }
    if caption:
        message["caption"] = caption
    return {"message": message}


async def test_an_album_reaches_officers_as_one_album_and_a_document_as_a_document(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    files = [
        await client.upload(_jpeg((i * 60, 80, 80)), f"{i}.jpg", "image/jpeg") for i in range(3)
    ]
    after = await client.last_seq()
    for number, file_id in enumerate(files):
        await client.push_update(
            _album_photo(HEAD, file_id, number, "Ba trang" if not number else None)
        )
    seen, text = await _arrives(client, OFFICER, after, "Ảnh minh chứng của Thôn 1")
    album = [e for e in seen if e["method"] == "sendMediaGroup"]
    assert [e["file_id"] for e in album] == files
    assert VI("thread.album", count=3) in text["html"] and "Ba trang" in text["text"]
    # One answer to the head, one forward with one "↩️ Trả lời".
    answers = [e for e in await client.events(HEAD, after=after) if e["method"] == "sendMessage"]
    assert len(answers) == 1
    forwards = [
        e
        for e in await client.events(OFFICER, after=after)
        if "Ảnh minh chứng" in (e["text"] or "")
    ]
    assert len(forwards) == 1
    # A photo sent as a file goes on as a file (not recompressed).
    after = await client.last_seq()
    await client.send_document(HEAD, _jpeg(), "danh-sach.jpg", mime="image/jpeg")
    seen, text = await _arrives(client, OFFICER, after, "Tệp minh chứng của Thôn 1")
    [document] = [e for e in seen if e["method"] == "sendDocument"]
    async with session_factory() as session:
        rows = list(await session.scalars(select(Evidence).order_by(Evidence.id)))
    assert document["file_id"] == rows[-1].file_id and document["file_name"] == "danh-sach.jpg"
    assert len(rows) == 4


async def test_an_answer_that_reaches_nobody_is_reported_to_the_officer(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    start = await client.last_seq()
    await _note(client, HEAD, NOTE)
    _, forward = await _arrives(client, OFFICER, start, "Ý kiến của Thôn 1")
    for contact in (HEAD, TEAM):  # everyone of Thôn 1 has blocked the bot since
        await client.block(contact)
    await client.click(OFFICER, forward["message_id"], _data(forward, "↩️ Trả lời"))
    after = await client.last_seq()
    [sending] = await client.converse(OFFICER, ANSWER, first_name=NAMES[OFFICER])
    assert sending["html"] == VI("thread.sent_to_unit", unit="Thôn 1", people=2)
    _, warning = await _arrives(client, OFFICER, after, "chưa tới được ai")
    assert warning["html"] == VI("thread.undelivered", unit="Thôn 1")
