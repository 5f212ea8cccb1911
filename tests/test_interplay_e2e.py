"""End-to-end: free chat, two-way threads, good models and commendations used together.

Each feature was built on its own branch; these tests drive them through the real bot as a
head and an officer mix them: a photo while sharing a model, an answer while a report or a
title is asked, a milestone reached by a typed report, buttons pressed by the wrong person,
and a restart in the middle of /chiase.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import Event, SandboxClient
from bot.services.registry.contacts import grant
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import (
    Commendation,
    ConversationState,
    Evidence,
    GoodModel,
    GoodModelStatus,
    Role,
    Thread,
    ThreadMessage,
    ThreadSide,
    ThreadStatus,
)
from models.db import Database
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import register, reports_of

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEAD = 880_001
HEAD_T2 = 880_002
OFFICER = 880_010
NOTE = "Thiếu điện thoại thông minh cho người cao tuổi"
ANSWER = "Xã sẽ mượn máy của trường để hỗ trợ"
MODEL = "Lớp học buổi tối\nĐoàn viên hướng dẫn bà con cài VNeID tại nhà văn hóa."


@pytest.fixture
async def people(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory, db: Database
) -> None:
    """A head of Thôn 1, a head of Thôn 2, an officer; the admin's chat is open too."""
    await register(client, session_factory, HEAD, "T01")
    await register(client, session_factory, HEAD_T2, "T02")
    await grant(db, actor_user_id=None, user_id=OFFICER, role=Role.OFFICER)
    await client.open_chats([OFFICER, ADMIN_ID])


def _labels(event: Event) -> list[str]:
    """The inline buttons' labels, row after row."""
    markup = event.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _data(event: Event, label: str) -> str:
    """The callback data of the inline button whose label starts with `label`."""
    markup = event.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if button["text"].startswith(label):
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {markup}")


def _jpeg(colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A real little JPEG, as a phone would send."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


async def _arrives(
    client: SandboxClient, chat: int, after: int, needle: str, timeout: float = 15
) -> Event:
    """Wait (through the outbox) for the message in `chat` whose text contains `needle`."""
    seen: list[Event] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for event in await client.events(chat, after=after, count=1, wait=1):
            after = event["seq"]
            seen.append(event)
            if event["method"] == "sendMessage" and needle in (event.get("text") or ""):
                return event
    raise AssertionError(f"no message with {needle!r} in chat {chat}: {seen}")


async def _quiet(client: SandboxClient, chat: int, after: int, wait: float = 1.5) -> list[Event]:
    """What the bot sent to `chat` after `after`, once it has been quiet a moment."""
    await asyncio.sleep(wait)
    return await client.events(chat, after=after)


async def _count(session_factory: SessionFactory, model: Any, *where: Any) -> int:
    """How many rows of a table (matching `where`)."""
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _officer_answers(client: SandboxClient, head: int = HEAD) -> Event:
    """The head writes a note, an officer answers it: the head's "Cán bộ xã trả lời" message."""
    [echo] = await client.converse(head, "/baocao 120 30")
    await client.click(head, echo["message_id"], _data(echo, "✍️"))
    after = await client.last_seq()
    await client.converse(head, NOTE)
    forward = await _arrives(client, OFFICER, after, "Ý kiến của")
    await client.click(OFFICER, forward["message_id"], _data(forward, "↩️"))
    after = await client.last_seq()
    await client.converse(OFFICER, ANSWER)
    return await _arrives(client, head, after, "Cán bộ xã trả lời")


# ── A head sharing a good model: photos, files and voice notes ─────────────────────────────


async def test_a_photo_while_sharing_goes_to_the_model_then_is_evidence_again(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(HEAD, "/chiase")
    after = await client.last_seq()
    # The caption has figures: while sharing, it is the model's text, not a report.
    await client.send_photo(HEAD, _jpeg(), caption="Lớp học buổi tối: được 40 người")
    got = [e for e in await _quiet(client, HEAD, after) if e["method"] == "sendMessage"]
    assert [e["html"] for e in got] == [VI("share.photo_ready", photos=3)]
    # Sent: the model has the photo; no evidence, nothing in a thread.
    *_, photo, preview = await client.click(
        HEAD, got[0]["message_id"], _data(got[0], "👁"), replies=3
    )
    assert photo["method"] == "sendPhoto"
    await client.click(HEAD, preview["message_id"], _data(preview, "📤"), replies=2)
    async with session_factory() as session:
        model = await session.scalar(select(GoodModel))
    assert model is not None and model.photo_file_ids is not None
    assert len(model.photo_file_ids) == 1
    assert await _count(session_factory, Evidence) == 0
    assert await _count(session_factory, ThreadMessage) == 0
    # Afterwards a photo is evidence again, as after /huy.
    after = await client.last_seq()
    await client.send_photo(HEAD, _jpeg((0, 0, 200)))
    await _arrives(client, HEAD, after, "Đã lưu ảnh")
    await _arrives(client, OFFICER, after, "Ảnh minh chứng của Thôn 1")
    await client.converse(HEAD, "/chiase")
    [cancelled] = await client.converse(HEAD, "/huy")
    assert cancelled["html"] == VI("share.cancelled")
    after = await client.last_seq()
    await client.send_photo(HEAD, _jpeg((0, 200, 0)))
    await _arrives(client, HEAD, after, "Đã lưu ảnh")
    assert await _count(session_factory, Evidence) == 2


async def test_a_file_or_a_voice_note_while_sharing_is_no_evidence_and_no_report(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(HEAD, "/chiase")
    # A photo sent "as a file": Telegram cannot show it as the model's photo, so the head is
    # asked to send it as a photo; it is not evidence, not forwarded, not read as figures.
    after = await client.last_seq()
    await client.send_document(
        HEAD, _jpeg(), "lop-hoc.jpg", mime="image/jpeg", caption="được 40 người"
    )
    got = await _quiet(client, HEAD, after)
    assert [e["html"] for e in got] == [VI("share.file", photos=3)]
    after = await client.last_seq()
    await client.send_voice(HEAD)
    [voice] = await client.expect(HEAD, after=after)
    assert voice["html"] == VI("share.media", what=VI("chat.voice"))
    assert voice.get("reply_markup") is None
    assert await _count(session_factory, Evidence) == 0
    assert await _count(session_factory, ThreadMessage) == 0
    assert not await client.events(OFFICER, after=after)
    # Still sharing: the text makes the preview.
    events = await client.converse(HEAD, MODEL)
    assert events[-1]["text"].startswith("🌟 Mô hình hay — Thôn 1: Lớp học buổi tối")


# ── A head answering the commune ("↩️ Trả lời") ────────────────────────────────────────────


async def test_figures_typed_as_an_answer_are_the_answer_and_a_command_drops_it(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    answer = await _officer_answers(client)
    await client.click(HEAD, answer["message_id"], _data(answer, "↩️"))
    [sent] = await client.converse(HEAD, "được 40 người")
    assert sent["html"] == VI("thread.sent_to_commune")
    # A command drops the pending answer: what follows belongs to the command.
    await client.click(HEAD, answer["message_id"], _data(answer, "↩️"))
    [question] = await client.converse(HEAD, "/baocao")
    assert question["html"] == VI("report.ask_enrolled", unit="Thôn 1")
    await client.converse(HEAD, "140")
    async with session_factory() as session:
        unit_texts = list(
            await session.scalars(
                select(ThreadMessage.text)
                .where(ThreadMessage.side == ThreadSide.UNIT)
                .order_by(ThreadMessage.id)
            )
        )
    assert unit_texts == [NOTE, "được 40 người"]
    # No report from "được 40 người"; /baocao's question is waiting for its second figure.
    assert [r.enrolled for r in await reports_of(session_factory, "T01")] == [120]


async def test_a_voice_note_while_answering_asks_for_the_answer_in_writing(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    answer = await _officer_answers(client)
    await client.click(HEAD, answer["message_id"], _data(answer, "↩️"))
    after = await client.last_seq()
    await client.send_voice(HEAD)
    [kind] = await client.expect(HEAD, after=after)
    # Not "to report, press 📝 Báo cáo": that button would drop the answer being written.
    assert kind["html"] == VI("thread.media", what=VI("chat.voice"))
    assert kind.get("reply_markup") is None
    [sent] = await client.converse(HEAD, "Thôn đã nhận máy, cảm ơn xã")
    assert sent["html"] == VI("thread.sent_to_commune")


# ── A typed report that reaches a milestone ────────────────────────────────────────────────


async def test_right_pressed_twice_on_a_typed_report_congratulates_once(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [offer] = await client.converse(HEAD, "được 600 người")
    right = _data(offer, "✅")
    after = await client.last_seq()
    # A double tap on a slow phone: both presses arrive before the buttons are gone.
    await client.press(HEAD, offer["message_id"], right)
    await client.press(HEAD, offer["message_id"], right)
    # The chat's updates are handled in order: once /tiendo is answered, both presses were.
    await client.send(HEAD, "/tiendo")
    progress = await _arrives(client, HEAD, after, "Tiến độ — Thôn 1")
    got = [e for e in await client.events(HEAD, after=after) if e["seq"] < progress["seq"]]
    congrats = VI("milestone.congrats", unit="Thôn 1", threshold="50%", percent="60,0%")
    echoes = [e for e in got if e["method"] == "sendMessage"]
    assert len(echoes) == 1 and echoes[0]["html"].endswith(congrats)
    toasts = [e["text"] for e in got if e["method"] == "answerCallbackQuery" and e.get("text")]
    assert toasts == [VI.plain("button.expired")]
    assert [r.enrolled for r in await reports_of(session_factory, "T01")] == [600]
    await _arrives(client, OFFICER, after, "Thôn 1 vừa đạt mốc")
    officers = [e for e in await _quiet(client, OFFICER, after) if "vừa đạt" in e["text"]]
    assert len(officers) == 1


# ── An officer between a model's review, /bieuduong and a unit's note ───────────────────


async def _review_message(client: SandboxClient, head: int = HEAD) -> Event:
    """A head shares a model with /chiase: the officer's review message."""
    after = await client.last_seq()
    [preview] = await client.converse(head, f"/chiase {MODEL}")
    await client.click(head, preview["message_id"], _data(preview, "📤"), replies=2)
    return await _arrives(client, OFFICER, after, "Cách làm hay mới cần duyệt")


async def test_an_officer_asked_for_a_reason_answers_a_note_in_between_each_text_lands_once(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    review = await _review_message(client)
    [listing] = await client.converse(OFFICER, "/bieuduong")
    [ask] = await client.click(OFFICER, review["message_id"], _data(review, "❌"))
    assert ask["html"] == VI("model.ask_reason", unit="Thôn 1", title="Lớp học buổi tối")
    after = await client.last_seq()
    [echo] = await client.converse(HEAD_T2, "/baocao 120 30")
    await client.click(HEAD_T2, echo["message_id"], _data(echo, "✍️"))
    await client.converse(HEAD_T2, NOTE)
    forward = await _arrives(client, OFFICER, after, "Ý kiến của Thôn 2")
    await client.click(OFFICER, forward["message_id"], _data(forward, "↩️"))
    # The answer goes to Thôn 2 only; the reason asked before still waits, then goes alone.
    [sent] = await client.converse(OFFICER, ANSWER)
    assert sent["html"] == VI("thread.sent_to_unit", unit="Thôn 2", people=1)
    events = await client.converse(OFFICER, "Cần thêm ảnh lớp học", replies=2)
    assert events[-1]["html"] == VI("model.rejected_done", unit="Thôn 1")
    # /bieuduong's list is still live.
    [picker] = await client.click(OFFICER, listing["message_id"], _data(listing, "➕"))
    assert picker["html"] == VI("commend.pick")
    async with session_factory() as session:
        model = await session.scalar(select(GoodModel))
        commune = list(
            await session.scalars(
                select(ThreadMessage.text).where(ThreadMessage.side == ThreadSide.COMMUNE)
            )
        )
    assert model is not None and model.status == GoodModelStatus.REJECTED
    assert model.reason == "Cần thêm ảnh lớp học"
    assert commune == [ANSWER]


STRANGER = 880_099


async def test_officers_buttons_pressed_by_a_stranger_or_a_head_are_refused_and_change_nothing(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    review = await _review_message(client)
    answer = await _officer_answers(client)
    [listing] = await client.converse(OFFICER, "/bieuduong")
    forwards = [e for e in await client.events(OFFICER) if "Ý kiến của Thôn 1" in (e["text"] or "")]
    pressed = [
        _data(review, "✅"),
        _data(review, "❌"),
        _data(listing, "📤"),
        _data(listing, "➖"),
        _data(forwards[-1], "✅"),
        _data(forwards[-1], "↩️"),
    ]
    await client.open_chats([STRANGER])
    for user, refusal in (
        (STRANGER, VI.plain("stranger.button")),
        (HEAD_T2, VI.plain("access.not_allowed")),
    ):
        [own] = await client.converse(user, "xin chào")
        for data in pressed:
            [told] = await client.click(user, own["message_id"], data)
            assert (told["method"], told["text"]) == ("answerCallbackQuery", refusal), data
    # Another unit's head may not answer for Thôn 1 either.
    [told] = await client.click(HEAD_T2, own["message_id"], _data(answer, "↩️"))
    assert told["text"] == VI.plain("thread.not_yours")
    async with session_factory() as session:
        model = await session.scalar(select(GoodModel))
        commendations = await session.scalar(select(func.count()).select_from(Commendation))
        [thread] = list(await session.scalars(select(Thread)))
    assert model is not None and model.status == GoodModelStatus.SUBMITTED
    assert commendations == 0
    assert thread.status == ThreadStatus.OPEN


# ── One question at a time ─────────────────────────────────────────────────────────────────


async def test_sharing_started_while_a_report_question_waits_takes_the_text(
    people: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [menu] = await client.converse(HEAD, "xin chào")
    [question] = await client.converse(HEAD, "/baocao")
    assert question["html"] == VI("report.ask_enrolled", unit="Thôn 1")
    # The head changes their mind: 🌟 under the bot's menu (or /chiase) starts sharing.
    [ask] = await client.click(HEAD, menu["message_id"], _data(menu, "🌟"))
    assert ask["html"] == VI("share.ask", unit="Thôn 1", photos=3, limit=2000)
    # The text is the model's, not a figure refused by the report's question.
    events = await client.converse(HEAD, MODEL)
    assert events[-1]["text"].startswith("🌟 Mô hình hay — Thôn 1: Lớp học buổi tối")
    # And the other way round: 📝 Báo cáo while sharing asks the figures; once the report is
    # stored, typed figures are a report again, not the model's text.
    [question] = await client.converse(HEAD, VI.plain("keyboard.report"))
    assert question["html"] == VI("report.ask_enrolled", unit="Thôn 1")
    await client.converse(HEAD, "140")
    [skip] = await client.converse(HEAD, "30")
    assert skip["text"].startswith("✅ Đã ghi nhận — Thôn 1: 140")
    [offer] = await client.converse(HEAD, "được 150 người")
    assert _labels(offer) == ["✅ Đúng", "✏️ Sửa"]
    assert await _count(session_factory, GoodModel) == 0


# ── A restart in the middle of /chiase ─────────────────────────────────────────────────────


async def test_a_share_and_an_answer_begun_before_a_restart_are_finished_after_it(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
    db: Database,
) -> None:
    async with polling(build_application(make_settings())):
        await register(client, session_factory, HEAD, "T01")
        await grant(db, actor_user_id=None, user_id=OFFICER, role=Role.OFFICER)
        await client.open_chats([OFFICER, ADMIN_ID])
        answer = await _officer_answers(client)
        await client.converse(HEAD, "/baocao")
        await client.converse(HEAD, "/chiase")
        after = await client.last_seq()
        await client.send_photo(HEAD, _jpeg(), caption="được 40 người")
        [got] = await client.expect(HEAD, after=after)
        assert got["html"] == VI("share.photo_ready", photos=3)
        # While sharing, the head presses "↩️ Trả lời" under the officer's answer.
        [ask] = await client.click(HEAD, answer["message_id"], _data(answer, "↩️"))
        assert ask["html"] == VI("thread.ask_unit")
    # Another process (or the same bot restarted) continues where the head was: the answer
    # first, then the model with its photo; the report's question, dropped when sharing
    # began, stays dropped.
    async with polling(build_application(make_settings())):
        [sent] = await client.converse(HEAD, "được 40 người")
        assert sent["html"] == VI("thread.sent_to_commune")
        photo, preview = await client.converse(HEAD, MODEL, replies=2)
        assert photo["method"] == "sendPhoto"
        assert preview["text"].startswith("🌟 Mô hình hay — Thôn 1: Lớp học buổi tối")
        events = await client.click(HEAD, preview["message_id"], _data(preview, "📤"), replies=2)
        assert events[-1]["html"] == VI("share.sent", unit="Thôn 1")
    async with session_factory() as session:
        model = await session.scalar(select(GoodModel))
        states = list(await session.scalars(select(ConversationState.name)))
        unit_texts = list(
            await session.scalars(
                select(ThreadMessage.text)
                .where(ThreadMessage.side == ThreadSide.UNIT)
                .order_by(ThreadMessage.id)
            )
        )
    assert model is not None and model.status == GoodModelStatus.SUBMITTED
    assert len(model.photo_file_ids or []) == 1
    assert states == []
    assert unit_texts == [NOTE, "được 40 người"]
    assert await _count(session_factory, Evidence) == 0
    assert [r.enrolled for r in await reports_of(session_factory, "T01")] == [120]


async def test_a_share_left_too_long_says_so_and_a_later_photo_is_evidence(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    # Settings refuse a timeout this short; the test takes a copy past validation.
    settings = make_settings().model_copy(update={"conversation_timeout_seconds": 2})
    async with polling(build_application(settings)):
        await register(client, session_factory, HEAD, "T01")
        await client.converse(HEAD, "/chiase")
        after = await client.last_seq()
        await client.send_photo(HEAD, _jpeg())
        [got] = await client.expect(HEAD, after=after)
        assert got["html"] == VI("share.photo_needs_text", photos=3)
        # The head is told, as /baocao tells its own timeout: a photo sent later is evidence.
        [told] = await client.expect(HEAD, after=got["seq"], timeout=10)
        assert told["html"] == VI("share.timeout")
        after = await client.last_seq()
        await client.send_photo(HEAD, _jpeg((0, 0, 200)))
        [kept] = await client.expect(HEAD, after=after)
        assert kept["text"].startswith("📷 Đã lưu ảnh làm minh chứng cho Thôn 1")
        # A share dropped for /baocao's question never says its time is up: only /baocao does.
        await client.converse(HEAD, "/chiase")
        [question] = await client.converse(HEAD, "/baocao")
        [told] = await client.expect(HEAD, after=question["seq"], timeout=10)
        assert told["html"] == VI("report.timeout")
        assert await _quiet(client, HEAD, told["seq"], 3) == []
    assert await _count(session_factory, GoodModel) == 0
