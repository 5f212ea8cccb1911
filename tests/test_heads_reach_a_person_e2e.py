"""End-to-end: a head's words always reach a person, or get a real answer (issue 24).

Thanks get a kind word; questions the bot knows are answered; anything else is offered with
"📨 Gửi cho cán bộ xã", which puts it in the unit's thread; a voice note goes to the officers
as it was spoken; a number typed with a letter O says why it was not read.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import Directive, MessageKind, Report, ThreadMessage, ThreadMessageKind
from tests.conftest import ADMIN_ID
from tests.helpers import button_data, labels, register, until_said

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEAD = 894_001
SEND = "📨 Gửi cho cán bộ xã"


async def _messages(session_factory: SessionFactory) -> list[tuple[ThreadMessageKind, str | None]]:
    async with session_factory() as session:
        rows = await session.execute(
            select(ThreadMessage.kind, ThreadMessage.text).order_by(ThreadMessage.id)
        )
        return list(rows.tuples())


async def _ready(client: SandboxClient, session_factory: SessionFactory) -> None:
    await register(client, session_factory, HEAD, "T01")
    await client.open_chats([ADMIN_ID])


async def test_thanks_get_a_kind_word_and_reach_nobody(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    for text in ("Cảm ơn anh nhiều nhé!", "ok", "👍"):
        [reply] = await client.converse(HEAD, text)
        assert reply["html"] == VI("chat.thanks"), text
        assert labels(reply) == []
    assert await _messages(session_factory) == []


async def test_a_question_the_bot_cannot_answer_reaches_the_officers_once(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    question = "Thôn có mấy cụ già không dùng được điện thoại, xã hỗ trợ được không ạ"
    [offer] = await client.converse(HEAD, question)
    assert offer["html"] == VI("chat.offer")
    assert labels(offer) == [SEND, "📝 Báo cáo"]
    after = await client.last_seq()
    buttons_gone, sent = await client.click(
        HEAD, offer["message_id"], button_data(offer, SEND), replies=2
    )
    assert buttons_gone["method"] == "editMessageReplyMarkup"
    assert sent["html"] == VI("thread.sent_to_commune")
    [to_admin] = await client.expect(ADMIN_ID, after=after)
    assert to_admin["text"].startswith("📨 Thôn 1 gửi cán bộ xã")
    assert question in to_admin["text"]
    assert labels(to_admin) == ["↩️ Trả lời", "✅ Đã xử lý"]
    assert await _messages(session_factory) == [(ThreadMessageKind.TEXT, question)]
    # The officer answers under it; the head reads the answer.
    await client.click(ADMIN_ID, to_admin["message_id"], button_data(to_admin, "↩️ Trả lời"))
    after = await client.last_seq()
    await client.converse(ADMIN_ID, "Xã sẽ cử đoàn thanh niên tới hướng dẫn tận nhà.")
    [answer] = await client.expect(HEAD, after=after)
    assert "đoàn thanh niên" in answer["text"]
    # Pressed again: one line, nothing sent twice.
    after = await client.last_seq()
    await client.press(HEAD, offer["message_id"], button_data(offer, SEND))
    [stale] = await client.expect(HEAD, after=after)
    assert stale["method"] == "answerCallbackQuery" and stale["text"] == VI.plain("ask.stale")
    assert len(await _messages(session_factory)) == 2  # the question and the answer


async def test_questions_the_bot_knows_are_answered_with_a_way_to_a_person(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    settings = app.bot_data.settings
    [register_answer] = await client.converse(HEAD, "làm sao để dân đăng ký học?")
    assert register_answer["html"].startswith(VI("chat.answer.register", url=settings.course_url))
    assert labels(register_answer) == [SEND]
    [deadline] = await client.converse(HEAD, "hạn nộp báo cáo khi nào?")
    assert deadline["text"].startswith("📅 Hạn báo cáo kỳ này")
    [course] = await client.converse(HEAD, "link học ở đâu vậy")
    assert settings.course_url in course["text"]
    [what] = await client.converse(HEAD, "báo cáo gì vậy anh")
    assert what["html"].startswith(VI("chat.answer.what_to_report"))
    assert await _messages(session_factory) == []


async def test_a_number_typed_with_a_letter_o_says_so_and_stores_nothing(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    [reply] = await client.converse(HEAD, "3O")
    assert reply["html"] == VI("chat.mistyped", number=30)
    assert labels(reply) == ["📝 Báo cáo"]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == 0


async def test_a_voice_note_reaches_the_officers_as_a_voice_note(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    after = await client.last_seq()
    await client.send_voice(HEAD, b"OggS xin hoi xa", duration=9)
    [told] = await client.expect(HEAD, after=after)
    assert told["html"] == VI("chat.voice_sent")
    voice, note = await client.expect(ADMIN_ID, after=after, count=2)
    assert voice["method"] == "sendVoice" and voice["file_id"]
    assert note["text"].startswith("📨 Thôn 1 gửi cán bộ xã")
    assert labels(note) == ["↩️ Trả lời", "✅ Đã xử lý"]
    assert [kind for kind, _ in await _messages(session_factory)] == [ThreadMessageKind.VOICE]
    assert (await client.download(str(voice["file_id"]))) == b"OggS xin hoi xa"


async def test_the_heads_help_says_how_to_ask_the_commune(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    [help_] = await client.converse(HEAD, "/huongdan")
    assert "📨 Gửi cho cán bộ xã" in help_["text"] and "tin nhắn thoại" in help_["text"]


async def test_a_forwarded_post_is_reported_as_bad_information_with_its_source(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    post = "Tin nóng: từ mai phải nộp 500 nghìn mới được học trên Bình dân học vụ số!"
    channel = {"id": -100777, "type": "channel", "title": "Tin Nóng 24h", "username": "tinnong24h"}
    origin = {"type": "channel", "chat": channel, "message_id": 9, "date": 1_764_900_000}
    after = await client.last_seq()
    await client.send(HEAD, post, forward_origin=origin)
    [offer] = await client.expect(HEAD, after=after)
    assert offer["html"] == VI("chat.offer_flag")
    assert labels(offer) == ["🚩 Báo tin xấu, độc", SEND]
    after = await client.last_seq()
    _, sent = await client.click(
        HEAD, offer["message_id"], button_data(offer, "🚩 Báo tin xấu, độc"), replies=2
    )
    assert sent["html"] == VI("chat.flag_sent")
    [to_admin] = await client.expect(ADMIN_ID, after=after)
    assert to_admin["text"].startswith("🚩 Thôn 1 báo tin xấu, độc")
    assert post in to_admin["text"] and "Tin Nóng 24h (@tinnong24h)" in to_admin["text"]
    assert [kind for kind, _ in await _messages(session_factory)] == [ThreadMessageKind.FLAG]
    # /thongke counts it; handled once the thread is marked ✅ Đã xử lý.
    summary, _chart = await client.converse(ADMIN_ID, "/thongke", replies=2)
    assert VI("stats.flags", count=1, handled=0) in summary["html"]
    # The toast, then the message's buttons edited: both before /thongke is read.
    await client.click(
        ADMIN_ID, to_admin["message_id"], button_data(to_admin, "✅ Đã xử lý"), replies=2
    )
    summary, _chart = await client.converse(ADMIN_ID, "/thongke", replies=2)
    assert VI("stats.flags", count=1, handled=1) in summary["html"]


async def test_the_officers_answer_a_report_with_official_information(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    [offer] = await client.converse(HEAD, "Nghe nói phải nộp tiền https://tin-gia.example/hoc-phi")
    after = await client.last_seq()
    await client.click(
        HEAD, offer["message_id"], button_data(offer, "🚩 Báo tin xấu, độc"), replies=2
    )
    [flag] = await client.expect(ADMIN_ID, after=after)
    assert labels(flag)[-1] == "📣 Thông tin chính thức"
    [ask] = await client.click(
        ADMIN_ID, flag["message_id"], button_data(flag, "📣 Thông tin chính thức")
    )
    assert ask["html"] == VI("compose.ask_official")
    facts = "Học trên Bình dân học vụ số là miễn phí. Không nộp tiền cho ai."
    preview, control = await client.converse(ADMIN_ID, facts, replies=2)
    assert preview["text"].startswith("📣 THÔNG TIN CHÍNH THỨC CỦA UBND XÃ EA KNỐP")
    assert facts in preview["text"] and "binhdanhocvuso.gov.vn" not in preview["text"]
    after = await client.last_seq()
    await client.click(ADMIN_ID, control["message_id"], button_data(control, "📤 Gửi"))
    [official] = await client.expect(HEAD, after=after)
    assert official["text"].startswith("📣 THÔNG TIN CHÍNH THỨC") and facts in official["text"]
    assert labels(official)[0] == "✅ Đã nhận"  # acknowledged and tracked like a directive
    async with session_factory() as session:
        kinds = (await session.scalars(select(Directive.kind).where(Directive.body == facts))).all()
    assert kinds == [MessageKind.OFFICIAL]
    await until_said(client, ADMIN_ID, "Đã gửi xong", after=after)  # its summary edit is over
    # The officers' list of what they sent names it.
    [menu] = await client.converse(ADMIN_ID, "/thongbao")
    [listing] = await client.click(ADMIN_ID, menu["message_id"], "dir:recent")
    assert "Thông tin chính thức" in listing["text"]


async def test_a_link_is_offered_both_ways(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await _ready(client, session_factory)
    [offer] = await client.converse(HEAD, "anh xem giúp https://tin-gia.example/bai-viet")
    assert labels(offer) == ["🚩 Báo tin xấu, độc", SEND]
    _, sent = await client.click(HEAD, offer["message_id"], button_data(offer, SEND), replies=2)
    assert sent["html"] == VI("thread.sent_to_commune")
    assert [kind for kind, _ in await _messages(session_factory)] == [ThreadMessageKind.TEXT]


async def test_staff_without_a_unit_forwarding_a_post_are_pointed_to_their_keyboard(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    origin = {"type": "hidden_user", "sender_user_name": "Ai đó", "date": 1_764_900_000}
    after = await client.last_seq()
    await client.send(ADMIN_ID, "Tin đồn", forward_origin=origin)
    [reply] = await client.expect(ADMIN_ID, after=after)
    assert reply["html"] == VI("chat.staff_other")
    assert await _messages(session_factory) == []
