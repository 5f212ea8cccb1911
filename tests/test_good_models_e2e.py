"""End-to-end: a unit shares a good model, officers approve or refuse it, and spread it."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import Event, SandboxClient
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import (
    Acknowledgement,
    AuditEvent,
    Delivery,
    DeliveryStatus,
    Directive,
    GoodModel,
    GoodModelStatus,
    MessageKind,
    Role,
)
from tests.conftest import ADMIN_ID
from tests.helpers import make_invite, register

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEADS = {"T01": 830_001, "T02": 830_002, "B01": 830_003, "CA": 830_004}
OFFICER = 830_010
TEXT = (
    "Lớp học điện thoại buổi tối\n"
    "Mỗi tối thứ Bảy, đoàn viên hướng dẫn bà con cài VNeID và học trên nền tảng tại nhà văn hóa."
)


@pytest.fixture
async def people(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> dict[str, int]:
    """One head per unit, and an officer; the admin's chat is open too (officers get reviews)."""
    for code, user in HEADS.items():
        await register(client, session_factory, user, code)
    invite = await make_invite(session_factory, None, role=Role.OFFICER, max_uses=1)
    await client.converse(OFFICER, f"/start {invite}", first_name="Cán bộ")
    await client.open_chats([ADMIN_ID])
    return HEADS


def _button(event: Event, label_start: str) -> str:
    """The callback data of the first button whose label starts with `label_start`."""
    for row in (event.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"].startswith(label_start):
                return str(button["callback_data"])
    raise AssertionError(f"no button {label_start!r} in {event}")


async def _photo(client: SandboxClient) -> bytes:
    """A real JPEG, as a phone would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


async def _wait_for(
    client: SandboxClient, chat: int, after: int, predicate: Any, timeout: float = 20
) -> Event:
    """The first event in a chat after `after` that satisfies `predicate`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for event in await client.events(chat, after=after, count=1, wait=1):
            after = event["seq"]
            if predicate(event):
                return event
    raise AssertionError(f"nothing matched in chat {chat}")


def _text(event: Event) -> str:
    return str(event.get("text") or "")


async def _share(client: SandboxClient, head: int, text: str) -> Event:
    """Share a model with /chiase TEXT and press "📤 Gửi"; returns the officers' review message."""
    after = await client.last_seq()
    [preview] = await client.converse(head, f"/chiase {text}")
    assert VI.plain("share.button.send") in str(preview["reply_markup"])
    await client.click(head, preview["message_id"], _button(preview, "📤 Gửi"), replies=2)
    return await _wait_for(
        client, OFFICER, after, lambda e: "Cách làm hay mới cần duyệt" in _text(e)
    )


async def test_a_head_shares_an_officer_approves_retitles_and_spreads_it_to_every_unit(
    people: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    head = people["T02"]
    [ask] = await client.converse(head, "/chiase")
    assert ask["html"] == VI("share.ask", unit="Thôn 2", photos=3, limit=2000)
    after = await client.last_seq()
    await client.send_photo(head, await _photo(client))
    [got_photo] = await client.expect(head, after=after)
    assert got_photo["html"] == VI("share.photo_needs_text", photos=3)
    photo, preview = await client.converse(head, TEXT, replies=2)
    assert photo["method"] == "sendPhoto"
    assert preview["text"].startswith("🌟 Mô hình hay — Thôn 2: Lớp học điện thoại buổi tối")
    assert "đoàn viên hướng dẫn bà con" in preview["text"]
    before = await client.last_seq()
    events = await client.click(head, preview["message_id"], _button(preview, "📤 Gửi"), replies=2)
    assert events[-1]["html"] == VI("share.sent", unit="Thôn 2")
    # The officers get it through the outbox: the photo, then the text with the review buttons.
    review = await _wait_for(
        client, OFFICER, before, lambda e: "Cách làm hay mới cần duyệt" in _text(e)
    )
    review_photo = [
        e for e in await client.events(OFFICER, after=before) if e["method"] == "sendPhoto"
    ]
    assert len(review_photo) == 1
    assert "Thôn 2" in review["text"] and "Lớp học điện thoại buổi tối" in review["text"]
    assert _button(review, "❌ Không duyệt").startswith("model:no:")

    # "✅ Duyệt": the model as units will see it, then the controls.
    events = await client.click(
        OFFICER, review["message_id"], _button(review, "✅ Duyệt"), replies=4
    )
    controls = events[-1]
    assert controls["text"].startswith("👆 Đã duyệt")
    assert "Tất cả đơn vị — 4 đơn vị, 4 người nhận" in controls["text"]
    shown = events[-2]
    assert shown["text"].startswith("🌟 Mô hình hay — Thôn 2")
    # The unit is thanked (through the outbox).
    thanks = await _wait_for(client, head, before, lambda e: "đã được UBND xã duyệt" in _text(e))
    assert "Cảm ơn Thôn 2 đã chia sẻ" in thanks["text"]

    # "✏️ Sửa tiêu đề": a shorter title, then the model again with new controls.
    [question] = await client.click(
        OFFICER, controls["message_id"], _button(controls, "✏️ Sửa tiêu đề")
    )
    assert question["html"] == VI(
        "model.ask_title", unit="Thôn 2", title="Lớp học điện thoại buổi tối"
    )
    events = await client.converse(OFFICER, "Lớp “Điện thoại thông minh” tối thứ Bảy", replies=4)
    assert events[0]["method"] == "editMessageReplyMarkup"  # the old controls lose their buttons
    controls = events[-1]
    assert events[-2]["text"].startswith(
        "🌟 Mô hình hay — Thôn 2: Lớp “Điện thoại thông minh” tối thứ Bảy"
    )
    # The unit's thanks named the old title: it learns the new one.
    retitled = await _wait_for(client, head, before, lambda e: "đã đặt tiêu đề" in _text(e))
    assert "“Lớp “Điện thoại thông minh” tối thứ Bảy”" in retitled["text"]

    # "📢 Lan tỏa": every unit receives it, credited to Thôn 2, acknowledged like a directive.
    spread_from = await client.last_seq()
    [progress] = await client.click(
        OFFICER, controls["message_id"], _button(controls, "📢 Lan tỏa")
    )
    assert progress["text"].startswith("📤 Đang gửi")
    summary = await _wait_for(
        client,
        OFFICER,
        spread_from,
        lambda e: e["message_id"] == controls["message_id"] and "Đã gửi xong" in _text(e),
    )
    assert "Đã gửi: 4" in summary["text"]
    for user in people.values():
        received = [
            e
            for e in await client.events(user, after=spread_from)
            if e["method"] in ("sendPhoto", "sendMessage")
        ]
        assert [e["method"] for e in received] == ["sendPhoto", "sendMessage"], user
        message = received[-1]
        assert message["text"].startswith(
            "🌟 Mô hình hay — Thôn 2: Lớp “Điện thoại thông minh” tối thứ Bảy"
        )
        assert "UBND xã Ea Knốp giới thiệu cách làm hay của Thôn 2" in message["text"]
        assert _button(message, "✅ Đã nhận").startswith("ack:")
    t01 = [e for e in await client.events(people["T01"], after=spread_from) if e["reply_markup"]]
    await client.click(people["T01"], t01[-1]["message_id"], _button(t01[-1], "✅ Đã nhận"))

    async with session_factory() as session:
        model = await session.scalar(select(GoodModel))
        assert model is not None
        assert model.status == GoodModelStatus.SPREAD
        assert model.title == "Lớp “Điện thoại thông minh” tối thứ Bảy"
        assert model.photo_file_ids is not None and len(model.photo_file_ids) == 1
        directive = await session.get(Directive, model.directive_id)
        assert directive is not None and directive.kind == MessageKind.MODEL
        assert directive.body_params is not None and directive.body_params["unit"] == "Thôn 2"
        acks = await session.scalar(
            select(func.count())
            .select_from(Acknowledgement)
            .where(Acknowledgement.directive_id == directive.id)
        )
        assert acks == 1
        actions = set(await session.scalars(select(AuditEvent.action)))
        assert {"model.submitted", "model.approved", "model.retitled", "model.spread"} <= actions

    # Anyone registered reads it in /mohinh, and opens it with its photo.
    [listing] = await client.converse(people["CA"], "/mohinh")
    assert "Lớp “Điện thoại thông minh” tối thứ Bảy</b> — Thôn 2" in listing["html"]
    opened = await client.click(
        people["CA"], listing["message_id"], _button(listing, "🔎 1"), replies=2
    )
    assert [e["method"] for e in opened] == ["sendPhoto", "sendMessage"]
    assert opened[-1]["reply_markup"] is None


async def test_a_refusal_reaches_the_unit_with_its_reason(
    people: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    head = people["T01"]
    review = await _share(client, head, "Dán mã QR ở chợ phiên\nBà con quét mã để vào học.")
    [question] = await client.click(
        OFFICER, review["message_id"], _button(review, "❌ Không duyệt")
    )
    assert question["html"] == VI("model.ask_reason", unit="Thôn 1", title="Dán mã QR ở chợ phiên")
    before = await client.last_seq()
    events = await client.converse(OFFICER, "Ảnh chưa rõ, xin gửi thêm ảnh thực tế", replies=2)
    assert events[-1]["html"] == VI("model.rejected_done", unit="Thôn 1")
    refusal = await _wait_for(client, head, before, lambda e: "chưa lan tỏa" in _text(e))
    assert refusal["html"] == VI(
        "model.rejected",
        unit="Thôn 1",
        title="Dán mã QR ở chợ phiên",
        reason="Ảnh chưa rõ, xin gửi thêm ảnh thực tế",
    )
    # The admin's copy of the review answers that it was already refused, and changes nothing.
    admin_review = await _wait_for(
        client, ADMIN_ID, 0, lambda e: "Cách làm hay mới cần duyệt" in _text(e)
    )
    events = await client.click(
        ADMIN_ID, admin_review["message_id"], _button(admin_review, "✅ Duyệt"), replies=2
    )
    assert events[-1]["html"] == VI(
        "model.already_rejected",
        title="Dán mã QR ở chợ phiên",
        reason="Ảnh chưa rõ, xin gửi thêm ảnh thực tế",
    )
    async with session_factory() as session:
        model = await session.scalar(select(GoodModel))
        assert model is not None and model.status == GoodModelStatus.REJECTED
        assert model.reason == "Ảnh chưa rõ, xin gửi thêm ảnh thực tế"
        spread = await session.scalar(
            select(func.count()).select_from(Directive).where(Directive.kind == MessageKind.MODEL)
        )
        assert spread == 0
    [listing] = await client.converse(head, "/mohinh")
    assert listing["html"] == VI("models.none")


async def test_heads_cannot_review_and_officers_share_for_a_unit_to_a_chosen_audience(
    people: dict[str, int], client: SandboxClient, session_factory: SessionFactory
) -> None:
    head = people["B01"]
    [greeting] = await client.converse(head, "Xin chào")
    [refused] = await client.click(head, greeting["message_id"], "model:ok:1")
    assert refused["text"] == VI.plain("access.not_allowed")
    [needs_unit] = await client.converse(OFFICER, "/chiase")
    assert needs_unit["html"] == VI("share.refused.staff_needs_unit")
    [other] = await client.converse(head, "/chiase T01 Cách làm của thôn khác")
    assert other["html"] == VI("share.refused.other_unit")
    review = await _share(client, OFFICER, "B01 Tổ công nghệ số đến từng nhà già làng")
    assert "Buôn Ea Tih mẫu" in review["text"]
    events = await client.click(
        OFFICER, review["message_id"], _button(review, "✅ Duyệt"), replies=3
    )
    controls = events[-1]
    [choices] = await client.click(OFFICER, controls["message_id"], _button(controls, "👥 Gửi tới"))
    events = await client.click(
        OFFICER, choices["message_id"], _button(choices, "Thôn/buôn"), replies=3
    )
    controls = events[-1]
    assert "Thôn/buôn — 3 đơn vị, 3 người nhận" in controls["text"]
    spread_from = await client.last_seq()
    await client.click(OFFICER, controls["message_id"], _button(controls, "📢 Lan tỏa"))
    async with asyncio.timeout(20):
        while True:
            async with session_factory() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .join(Directive, Directive.id == Delivery.directive_id)
                    .where(
                        Directive.kind == MessageKind.MODEL,
                        Delivery.status != DeliveryStatus.SENT,
                    )
                )
                sent = await session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .join(Directive, Directive.id == Delivery.directive_id)
                    .where(Directive.kind == MessageKind.MODEL)
                )
            if sent and not pending:
                break
            await asyncio.sleep(0.2)
    assert sent == 3
    for code, user in people.items():
        got = [
            e
            for e in await client.events(user, after=spread_from)
            if _text(e).startswith("🌟 Mô hình hay — Buôn Ea Tih mẫu")
        ]
        assert len(got) == (0 if code == "CA" else 1), code
    async with session_factory() as session:
        model = await session.scalar(select(GoodModel))
        assert model is not None and model.on_behalf and model.audience == "thon"


def test_a_long_paragraph_takes_its_first_sentence_as_the_title() -> None:
    from bot.services.recognition.good_models import DEFAULT_TITLE, split_title

    text = (
        "Thôn 4 mở lớp học buổi tối tại nhà văn hóa. Mỗi tối có 2 đoàn viên hướng dẫn bà con cài "
        "VNeID, đăng nhập và học bài đầu tiên; sau 2 tuần đã có 60 người đăng ký."
    )
    title, body = split_title(text)
    assert title == "Thôn 4 mở lớp học buổi tối tại nhà văn hóa"
    assert body.startswith("Mỗi tối") and title not in body
    # Spaces typed twice do not shift the cut, and the lines after the paragraph are kept.
    title, body = split_title(text.replace(" ", "  ", 3) + "\nDòng cuối.")
    assert title == "Thôn 4 mở lớp học buổi tối tại nhà văn hóa"
    assert body.startswith("Mỗi tối") and body.endswith("60 người đăng ký.\nDòng cuối.")
    # No short first sentence: the start, cut at a word, and the whole text as the body.
    long_sentence = "bà con " * 30
    title, body = split_title(long_sentence)
    assert title.endswith("…") and len(title) <= DEFAULT_TITLE and body == long_sentence.strip()
