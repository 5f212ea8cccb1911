"""End-to-end: composing, sending, retrying, acknowledging and resuming broadcasts."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import Event, SandboxClient
from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import create_directive
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import Acknowledgement, Contact, ContactStatus, Delivery, DeliveryStatus, Directive
from models.base import utcnow
from tests.cli_helpers import run_cli_async
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import register, register_many, until, until_said

SessionFactory = async_sessionmaker[AsyncSession]
HEADS = {"T01": 820_001, "T02": 820_002, "B01": 820_003, "CA": 820_004}
STRANGER = 820_099


@pytest.fixture
async def heads(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> dict[str, int]:
    """One registered contact per unit."""
    for code, user in HEADS.items():
        await register(client, session_factory, user, code)
    return HEADS


def _button(event: Event, label_start: str) -> str:
    """The callback data of the first button whose label starts with `label_start`."""
    for row in (event["reply_markup"] or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"].startswith(label_start):
                return str(button["callback_data"])
    raise AssertionError(f"no button {label_start!r} in {event}")


async def _preview(client: SandboxClient, command: str) -> tuple[list[Event], Event]:
    """Run /thongbao and return (preview messages, control message)."""
    events = await client.converse(ADMIN_ID, command, replies=2, settle=0.5)
    control = events[-1]
    assert control["text"].startswith("👆 Bản xem trước")
    return events[:-1], control


async def _wait_summary(client: SandboxClient, control: Event, timeout: float = 20) -> Event:
    """Wait until the control message has become the final summary."""
    deadline = asyncio.get_running_loop().time() + timeout
    after = control["seq"]
    while asyncio.get_running_loop().time() < deadline:
        for event in await client.events(ADMIN_ID, after=after, count=1, wait=1):
            after = event["seq"]
            if event["message_id"] == control["message_id"] and "Đã gửi xong" in (
                event["text"] or ""
            ):
                return event
    raise AssertionError("no delivery summary")


async def _received(client: SandboxClient, user: int) -> list[Event]:
    """Directive messages a user received."""
    return [
        e
        for e in await client.events(user)
        if e["method"] == "sendMessage" and "THÔNG BÁO CỦA UBND XÃ" in (e["text"] or "")
    ]


async def _statuses(factory: SessionFactory) -> dict[str, int]:
    async with factory() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {status.value: n for status, n in rows}


async def test_short_form_preview_and_send_to_all(
    heads: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    previews, control = await _preview(client, "/thongbao Họp khẩn lúc 8 giờ <b>không in đậm</b>")
    assert "Họp khẩn" in previews[0]["text"] and "<b>không in đậm</b>" in previews[0]["text"]
    assert "binhdanhocvuso.gov.vn" in previews[0]["text"]
    assert "4 đơn vị, 4 người nhận" in control["text"]
    await client.click(ADMIN_ID, control["message_id"], _button(control, "📤 Gửi"), replies=1)
    summary = await _wait_summary(client, control)
    assert "Đã gửi: 4" in summary["text"] and "Đã chặn bot: 0" in summary["text"]
    for user in heads.values():
        [message] = await _received(client, user)
        assert _button(message, "✅ Đã nhận").startswith("ack:")
    assert await _statuses(session_factory) == {"sent": 4}


async def test_template_and_audience_thon(
    heads: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    [menu] = await client.converse(ADMIN_ID, "/thongbao")
    events = await client.click(ADMIN_ID, menu["message_id"], "dir:template", replies=2)
    control = events[-1]
    assert "Bình dân học vụ số" in events[0]["text"] and "Hạn báo cáo" in events[0]["text"]
    [choices] = await client.click(ADMIN_ID, control["message_id"], "dir:audience")
    old = control
    # The old preview loses its buttons, then the new preview and its controls.
    events = await client.click(ADMIN_ID, choices["message_id"], "dir:aud:thon", replies=3)
    assert (events[0]["method"], events[0]["message_id"]) == (
        "editMessageReplyMarkup",
        old["message_id"],
    )
    assert events[0]["reply_markup"] is None
    control = events[-1]
    assert "Thôn/buôn — 3 đơn vị, 3 người nhận" in control["text"]
    # A deadline asks for a report: "📝 Báo cáo" sits beside "✅ Đã nhận" on the preview.
    preview = events[1]
    assert [b["text"] for b in preview["reply_markup"]["inline_keyboard"][0]] == [
        "✅ Đã nhận",
        "📝 Báo cáo",
    ]
    # Only one live "📤 Gửi": the old one is answered as expired and sends nothing.
    [expired] = await client.click(ADMIN_ID, old["message_id"], "dir:send")
    assert expired["method"] == "answerCallbackQuery"
    assert expired["text"] == translator("vi").plain("button.expired")
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    await _wait_summary(client, control)
    assert await _received(client, heads["CA"]) == []
    assert len(await _received(client, heads["T01"])) == 1


async def test_pick_units(heads: dict[str, int], client: SandboxClient) -> None:
    _, control = await _preview(client, "/thongbao Chỉ gửi Thôn 2")
    [choices] = await client.click(ADMIN_ID, control["message_id"], "dir:audience")
    [picker] = await client.click(ADMIN_ID, choices["message_id"], "dir:aud:pick")
    [edited] = await client.click(ADMIN_ID, picker["message_id"], _button(picker, "Thôn 2"))
    assert _button(edited, "✔️ Thôn 2")
    events = await client.click(ADMIN_ID, picker["message_id"], "dir:picked", replies=3)
    control = events[-1]
    # Audiences read by the units' names, not their codes.
    assert "Gửi tới: Thôn 2 — 1 đơn vị, 1 người nhận" in control["text"]
    assert _button(control, "👥 Gửi tới: Thôn 2") == "dir:audience"
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    await _wait_summary(client, control)
    assert len(await _received(client, heads["T02"])) == 1
    assert await _received(client, heads["T01"]) == []


async def test_many_picked_units_are_named_then_counted(
    heads: dict[str, int], client: SandboxClient
) -> None:
    _, control = await _preview(client, "/thongbao Ba đơn vị")
    [choices] = await client.click(ADMIN_ID, control["message_id"], "dir:audience")
    [picker] = await client.click(ADMIN_ID, choices["message_id"], "dir:aud:pick")
    for code in ("B01", "CA", "T01"):
        await client.click(ADMIN_ID, picker["message_id"], f"dir:pick:{code}")
    events = await client.click(ADMIN_ID, picker["message_id"], "dir:picked", replies=3)
    control = events[-1]
    assert "Gửi tới: Buôn Ea Tih mẫu, Công an xã, Thôn 1 — 3 đơn vị" in control["text"]
    assert _button(control, "👥 Gửi tới: Buôn Ea Tih mẫu, Công an xã và 1 đơn vị khác")


async def test_blocked_contact_is_marked_and_never_retried(
    heads: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.block(heads["T02"])
    _, control = await _preview(client, "/thongbao Kiểm tra chặn")
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    summary = await _wait_summary(client, control)
    assert "Đã chặn bot: 1" in summary["text"] and "Thôn 2" in summary["text"]
    stats = await client.stats()
    assert stats["error:403"] == 1
    await asyncio.sleep(0.5)
    assert (await client.stats())["error:403"] == 1
    async with session_factory() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.telegram_user_id == heads["T02"])
        )
    assert contact is not None and contact.status == ContactStatus.BLOCKED
    assert await _statuses(session_factory) == {"sent": 3, "blocked": 1}


async def test_unacknowledged_button_lists_units(
    heads: dict[str, int], client: SandboxClient
) -> None:
    _, control = await _preview(client, "/thongbao Xác nhận giúp")
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    summary = await _wait_summary(client, control)
    [message] = await _received(client, heads["T01"])
    [ack] = await client.click(heads["T01"], message["message_id"], _button(message, "✅"))
    assert ack["method"] == "answerCallbackQuery" and "Đã ghi nhận" in ack["text"]
    # The ✅ refreshes the summary a moment later: that edit is not the answer to the press.
    await until_said(client, ADMIN_ID, "Đơn vị đã xác nhận: 1/4", after=summary["seq"])
    [waiting] = await client.click(
        ADMIN_ID, summary["message_id"], _button(summary, "Chưa xác nhận")
    )
    assert "Chưa xác nhận (3)" in waiting["text"] and "Thôn 1" not in waiting["text"]


async def test_acknowledgement_is_idempotent(
    heads: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    _, control = await _preview(client, "/thongbao Bấm đã nhận")
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    await _wait_summary(client, control)
    user = heads["B01"]
    [message] = await _received(client, user)
    data = _button(message, "✅ Đã nhận")
    events = await client.click(user, message["message_id"], data, replies=2)
    edited = next(e for e in events if e["method"] == "editMessageReplyMarkup")
    assert _button(edited, "✅ Đã nhận lúc")
    await client.click(user, message["message_id"], data)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Acknowledgement)) == 1


async def test_long_text_is_split_with_button_on_last_part(
    heads: dict[str, int], client: SandboxClient
) -> None:
    body = "\n\n".join(f"Đoạn {i}: " + "nội dung dài " * 40 for i in range(20))
    # Three parts of the preview, then its controls (the one live "📤 Gửi").
    events = await client.converse(ADMIN_ID, f"/thongbao {body}", replies=4)
    control = events[3]
    assert control["text"].startswith("👆 Bản xem trước")
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    await _wait_summary(client, control)
    parts = [e for e in await client.events(heads["T01"]) if e["method"] == "sendMessage"][-3:]
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert "THÔNG BÁO" in parts[0]["text"]
    assert parts[0]["reply_markup"] is None and parts[1]["reply_markup"] is None
    assert _button(parts[2], "✅ Đã nhận")
    assert parts[1]["text"].startswith("(tiếp theo 2/3)")
    assert parts[2]["text"].startswith("(tiếp theo 3/3)")


async def test_head_and_stranger_are_refused_thongbao(
    heads: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    vi = translator("vi")
    for user, answer in (
        (heads["T01"], vi("access.not_allowed")),
        (STRANGER, vi("stranger.how_to")),
    ):
        [reply] = await client.converse(user, "/thongbao Tin giả")
        assert reply["html"] == answer
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0


async def _queue(factory: SessionFactory, text: str, audience: str = "all") -> int:
    async with factory.begin() as session:
        directive, _ = await create_directive(
            session,
            DirectiveContent(subject="Thử", body=text),
            Audience.parse(audience),
            actor_user_id=None,
            now=utcnow(),
        )
        return directive.id


async def _wait_statuses(
    factory: SessionFactory, done: dict[str, int], timeout: float = 30
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await _statuses(factory) == done:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"statuses {await _statuses(factory)} != {done}")


async def test_5xx_and_timeouts_are_retried_until_sent(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    users = await register_many(session_factory, client, 3, 830_000)
    await client.set_faults(
        [
            {"method": "sendMessage", "status": 502, "count": 2},
            {"method": "sendMessage", "status": 500, "count": 1, "delay": 1.0},
        ]
    )
    await _queue(session_factory, "Thử lại khi lỗi")
    settings = make_settings(send_retry_base_seconds=0.1, http_read_timeout_seconds=0.5)
    async with polling(build_application(settings)):
        await _wait_statuses(session_factory, {"sent": 3})
    async with session_factory() as session:
        attempts = list(await session.scalars(select(Delivery.attempts)))
    assert sum(attempts) == 3
    for user in users:
        assert len(await _received(client, user)) == 1


async def test_400_chat_not_found_is_failed(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    users = await register_many(session_factory, client, 2, 830_000)
    async with session_factory.begin() as session:
        ghost = await session.scalar(select(Contact).where(Contact.telegram_user_id == users[1]))
        assert ghost is not None
        ghost.chat_id = 99_999_999  # a chat the sandbox has never seen
    await _queue(session_factory, "Không tới được")
    async with polling(build_application(make_settings())):
        await _wait_statuses(session_factory, {"sent": 1, "failed": 1})
    async with session_factory() as session:
        errors = list(
            await session.scalars(
                select(Delivery.last_error).where(Delivery.status == DeliveryStatus.FAILED)
            )
        )
    assert "chat not found" in (errors[0] or "").lower()


async def test_restart_mid_broadcast_delivers_each_exactly_once(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    users = await register_many(session_factory, client, 40, 830_000)
    await client.set_faults([], latency=0.05)
    await _queue(session_factory, "Khởi động lại giữa chừng")
    first = build_application(make_settings(send_rate_per_second=20))
    async with polling(first):
        for _ in range(600):  # bounded: at most 30 s
            if (await _statuses(session_factory)).get("sent", 0) >= 10:
                break
            await asyncio.sleep(0.05)
    midway = await _statuses(session_factory)
    assert 0 < midway.get("sent", 0) < 40
    async with polling(build_application(make_settings())):
        await _wait_statuses(session_factory, {"sent": 40})
    counts = [len(await _received(client, user)) for user in users]
    assert counts == [1] * 40


async def test_cli_broadcast_goes_through_the_running_bot(
    heads: dict[str, int], client: SandboxClient, db_url: str, tmp_path: Path, app: BotApplication
) -> None:
    letter = tmp_path / "cong-van.md"
    letter.write_text(
        "# Đẩy mạnh học tập\nSố: 310/UBND-VHXH\n\nĐề nghị các thôn **vận động** <b>x</b> & "
        "xem [hướng dẫn](https://binhdanhocvuso.gov.vn/huong-dan?a=1&b=2):\n\n"
        "- đi từng ngõ\n- gõ từng nhà",
        "utf-8",
    )
    bad = await run_cli_async(["broadcast", str(letter), "--to", "KHONGCO"], DATABASE_URL=db_url)
    assert bad.returncode == 2 and "KHONGCO" in bad.stderr
    result = await run_cli_async(["broadcast", str(letter), "--to", "T01,B01"], DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    app.bot_data.outbox.wake()
    for user in (heads["T01"], heads["B01"]):
        # Registration (two messages), then the directive.
        events = await client.events(user, after=0, count=3, wait=10)
        [letter_event] = [e for e in events if "Số: 310/UBND-VHXH" in (e["text"] or "")]
        # The file's Markdown arrives as formatting; its raw HTML and "&" arrive as text.
        html = letter_event["html"]
        assert "<b>vận động</b> &lt;b&gt;x&lt;/b&gt; &amp; xem" in html
        assert '<a href="https://binhdanhocvuso.gov.vn/huong-dan?a=1&amp;b=2">hướng dẫn</a>' in html
        assert "• đi từng ngõ\n• gõ từng nhà" in html
        assert "**" not in letter_event["text"]
    assert await _received(client, heads["T02"]) == []


async def test_blocked_contact_who_writes_again_is_active(
    heads: dict[str, int],
    client: SandboxClient,
    session_factory: SessionFactory,
    app: BotApplication,
) -> None:
    await client.block(heads["T02"])
    _, control = await _preview(client, "/thongbao Lần 1")
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    await _wait_summary(client, control)
    await client.block(heads["T02"], blocked=False)
    app.bot_data.identities.forget()
    await client.converse(heads["T02"], "/start")
    async with session_factory() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.telegram_user_id == heads["T02"])
        )
    assert contact is not None and contact.status == ContactStatus.ACTIVE


async def test_recent_lists_directives_only_and_resends_one(
    heads: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    sent = DirectiveContent(
        subject="Tiếp tục đẩy mạnh phong trào", body="Nội dung cũ", number="310/UBND-VHXH"
    )
    reminder = DirectiveContent(kind="reminder", subject="", body="", body_key="message.reminder")
    async with session_factory.begin() as session:
        await create_directive(
            session, sent, Audience("units", ("T02",)), actor_user_id=ADMIN_ID, now=utcnow()
        )
        await create_directive(session, reminder, Audience("all"), actor_user_id=None, now=utcnow())
    [menu] = await client.converse(ADMIN_ID, "/thongbao")
    [listing] = await client.click(ADMIN_ID, menu["message_id"], "dir:recent")
    assert "1. " in listing["text"] and "Tiếp tục đẩy mạnh phong trào" in listing["text"]
    assert "Nhắc học và báo cáo" not in listing["text"] and "2. " not in listing["text"]
    [[resend]] = listing["reply_markup"]["inline_keyboard"]
    assert resend["text"] == "🔁 Gửi lại 1: Tiếp tục đẩy mạnh phong trào"
    # Opening the list did not end the composer: the menu still answers.
    events = await client.click(ADMIN_ID, menu["message_id"], "dir:template", replies=2)
    assert events[-1]["text"].startswith("👆 Bản xem trước")

    preview, control = await client.click(
        ADMIN_ID, listing["message_id"], resend["callback_data"], replies=2
    )
    assert "Nội dung cũ" in preview["text"] and "310/UBND-VHXH" in preview["text"]
    assert "Gửi tới: Thôn 2 — 1 đơn vị, 1 người nhận" in control["text"]
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    await _wait_summary(client, control)
    async with session_factory() as session:
        again = list(
            await session.scalars(
                select(Directive).where(Directive.body == "Nội dung cũ").order_by(Directive.id)
            )
        )
    assert len(again) == 2 and again[1].audience == "units:T02"
    assert again[1].number == "310/UBND-VHXH"


async def _photo_id(client: SandboxClient, colour: tuple[int, int, int]) -> str:
    """A real JPEG stored in the sandbox, as a user's upload would be."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return await client.upload(buffer.getvalue(), "anh.jpg", "image/jpeg")


async def test_outbox_messages_carry_photos_and_their_own_buttons(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    [user] = await register_many(session_factory, client, 1, 840_500)
    photos = (await _photo_id(client, (200, 0, 0)), await _photo_id(client, (0, 200, 0)))
    content = DirectiveContent(
        subject="Ảnh",
        body="Hai ảnh minh chứng",
        photo_file_ids=photos,
        buttons=((("button.report", "report:start"),),),
    )
    async with session_factory.begin() as session:
        await create_directive(
            session, content, Audience.parse("all"), actor_user_id=None, now=utcnow()
        )
    async with polling(build_application(make_settings())):
        await _wait_statuses(session_factory, {"sent": 1})
    events = await client.events(user)
    album, text = [e for e in events if e["method"] in ("sendMediaGroup", "sendMessage")][-2:]
    assert album["method"] == "sendMediaGroup" and text["method"] == "sendMessage"
    assert "Hai ảnh minh chứng" in text["text"]
    rows = text["reply_markup"]["inline_keyboard"]
    # The directive's own "✅ Đã nhận" first, then the stored row, labelled from the catalog.
    assert rows[-1] == [{"text": "📝 Báo cáo", "callback_data": "report:start"}]
    assert rows[0][0]["callback_data"].startswith("ack:")


@pytest.mark.pacing
async def test_a_broadcast_keeps_to_telegrams_limits_without_a_single_429(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    """With Telegram's ceilings in force (1 msg/s per chat, 30 msg/s), the pace avoids 429s."""
    users = await register_many(session_factory, client, 3, 831_000)
    texts = ("Lần một", "Lần hai", "Lần ba", "Lần bốn", "Lần năm")  # past each chat's burst
    for text in texts:
        await _queue(session_factory, text)
    async with polling(build_application(make_settings())):
        await _wait_statuses(session_factory, {"sent": 3 * len(texts)})
    stats = await client.stats()
    # Without the pace each chat gets at least one. One is tolerated: on a loaded machine a
    # message can reach the sandbox late and the next one on time, as on a real network.
    assert stats.get("429", 0) <= 1, stats
    for user in users:
        assert len(await _received(client, user)) == len(texts)


async def test_a_deadline_is_typed_as_officers_say_it(
    heads: dict[str, int], client: SandboxClient, app: BotApplication
) -> None:
    from bot.services.broadcasts.dates import parse_deadline

    vi = translator("vi")
    today = utcnow().astimezone(app.bot_data.settings.tz).date()
    [menu] = await client.converse(ADMIN_ID, "/thongbao")
    events = await client.click(ADMIN_ID, menu["message_id"], "dir:template", replies=2)
    [ask] = await client.click(ADMIN_ID, events[-1]["message_id"], "dir:field:deadline")
    ahead = vi.date(today + timedelta(days=7))
    assert ask["html"] == vi("compose.ask_deadline", example=ahead)
    [refused] = await client.converse(ADMIN_ID, "sớm nhất có thể")
    assert refused["html"] == vi("compose.bad_deadline", example=ahead)
    # The old controls lose their buttons, then the new preview and its controls.
    _old, preview, _control = await client.converse(ADMIN_ID, "thứ 6 tuần sau", replies=3)
    friday = parse_deadline("thứ 6 tuần sau", today)
    assert friday is not None and friday.weekday() == 4 and friday > today
    assert vi("directive.deadline", deadline=vi.date(friday)) in preview["html"]


async def test_the_picker_lists_villages_first_and_takes_typed_codes(
    heads: dict[str, int], client: SandboxClient
) -> None:
    vi = translator("vi")
    _, control = await _preview(client, "/thongbao Gửi Thôn 2 và Công an xã")
    [choices] = await client.click(ADMIN_ID, control["message_id"], "dir:audience")
    [picker] = await client.click(ADMIN_ID, choices["message_id"], "dir:aud:pick")
    names = [row[0]["text"] for row in picker["reply_markup"]["inline_keyboard"][:4]]
    assert names == ["Buôn Ea Tih mẫu", "Thôn 1", "Thôn 2", "Công an xã"]
    [unknown] = await client.converse(ADMIN_ID, "T02 X9")
    assert unknown["html"] == vi("audience.unknown_codes", codes="X9")
    [ticked] = await client.converse(ADMIN_ID, "t02, CA")
    assert _button(ticked, "✔️ Thôn 2") and _button(ticked, "✔️ Công an xã")
    events = await client.click(ADMIN_ID, ticked["message_id"], "dir:picked", replies=3)
    assert "Gửi tới: Công an xã, Thôn 2 — 2 đơn vị" in events[-1]["text"]


async def test_the_summary_follows_acknowledgements_and_names_units_nobody_reached(
    client: SandboxClient, session_factory: SessionFactory, app: BotApplication
) -> None:
    vi = translator("vi")
    head = 820_901
    await register(client, session_factory, head, "T01")  # the three other units: nobody
    _, control = await _preview(client, "/thongbao Họp triển khai")
    await client.click(ADMIN_ID, control["message_id"], "dir:send")
    summary = await _wait_summary(client, control)
    assert "Đơn vị đã xác nhận: 0/1" in summary["text"]
    assert vi.plain("broadcast.unreached", units=3) in summary["text"]
    [message] = await _received(client, head)
    after = await client.last_seq()
    await client.click(head, message["message_id"], _button(message, "✅ Đã nhận"), replies=2)

    async def summary_shows_it() -> bool:
        edits = await client.events(ADMIN_ID, after=after)
        return any(
            e["message_id"] == summary["message_id"]
            and "Đơn vị đã xác nhận: 1/1" in (e["text"] or "")
            for e in edits
        )

    await until(summary_shows_it, timeout=15, what="the summary shows 1/1", step=0.2)
