"""Bot API methods the bot is about to use behave as Telegram's do, and every call is logged."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    KeyboardButton,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient
from bot.sandbox.validation import parse_html

USER = 701
OTHER = 702


def _png(width: int = 400, height: int = 300) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _bot(sandbox: Sandbox) -> Bot:
    return Bot(sandbox.config.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)


async def test_descriptions_per_language_with_telegram_limits(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    async with _bot(sandbox) as bot:
        assert await bot.set_my_description("Bot báo cáo Bình dân học vụ số. Bấm Bắt đầu.")
        assert await bot.set_my_description("Digital literacy reports.", language_code="en")
        assert await bot.set_my_short_description("Báo cáo học vụ số xã Ea Knốp")
        with pytest.raises(BadRequest, match="(?i)too long"):
            await bot.set_my_description("x" * 513)
        with pytest.raises(BadRequest, match="(?i)too long"):
            await bot.set_my_short_description("x" * 121)
        await bot.set_my_short_description("y" * 120, language_code="en")
        assert (await bot.get_my_description()).description.startswith("Bot báo cáo")
        assert (await bot.get_my_description("en")).description == "Digital literacy reports."
        # No text for a language: the default one, as a user with that language sees it.
        assert (await bot.get_my_short_description("fr")).short_description.startswith("Báo")
        assert (await bot.get_my_short_description("en")).short_description == "y" * 120
    info = await client.bot_info()
    assert info["descriptions"] == {
        "": "Bot báo cáo Bình dân học vụ số. Bấm Bắt đầu.",
        "en": "Digital literacy reports.",
    }
    calls = await client.calls("setMyDescription")
    assert [c["ok"] for c in calls] == [True, True, False]
    assert calls[1]["params"]["language_code"] == "en"
    assert calls[2]["status"] == 400 and "too long" in calls[2]["description"]


async def test_media_group_of_photos_and_documents(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(USER, "hi")
    async with _bot(sandbox) as bot:
        album = await bot.send_media_group(
            USER,
            [
                InputMediaPhoto(_png(), caption="Ảnh <b>1</b>", parse_mode="HTML"),
                InputMediaPhoto(_png(200, 100)),
            ],
        )
        assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
        assert album[0].caption == "Ảnh 1" and album[1].caption is None
        assert album[0].caption_entities[0].type == MessageEntity.BOLD
        assert album[1].photo[-1].width == 200
        documents = await bot.send_media_group(
            USER,
            [
                InputMediaDocument(b"%PDF-1", filename="a.pdf"),
                InputMediaDocument(b"%PDF-2", filename="b.pdf"),
            ],
        )
        assert [d.document.file_name for d in documents if d.document] == ["a.pdf", "b.pdf"]
        with pytest.raises(BadRequest, match="2-10"):
            await bot.send_media_group(USER, [InputMediaPhoto(_png())])
        with pytest.raises(BadRequest, match="2-10"):
            await bot.send_media_group(USER, [InputMediaPhoto(_png(50, 50))] * 11)
        with pytest.raises(BadRequest, match="(?i)mixed"):
            await bot.send_media_group(
                USER,
                [InputMediaPhoto(_png()), InputMediaDocument(b"x", filename="c.pdf")],
            )
    sent = [e for e in await client.events(USER) if e["method"] == "sendMediaGroup"]
    assert len(sent) == 4 and sent[0]["text"] == "Ảnh 1"


async def test_edit_caption_in_place(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(USER, "hi")
    async with _bot(sandbox) as bot:
        photo = await bot.send_photo(USER, _png(), caption="Trước")
        text = await bot.send_message(USER, "chữ")
        edited = await bot.edit_message_caption(USER, photo.message_id, caption="Sau")
        assert not isinstance(edited, bool) and edited.caption == "Sau"
        assert edited.edit_date is not None
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_caption(USER, photo.message_id, caption="Sau")
        with pytest.raises(BadRequest, match="no caption"):
            await bot.edit_message_caption(USER, text.message_id, caption="x")
        with pytest.raises(BadRequest, match="no text"):
            await bot.edit_message_text("x", USER, photo.message_id)
    history = await client.messages(USER)
    assert [m.get("caption") or m.get("text") for m in history] == ["hi", "Sau", "chữ"]


async def test_copy_and_forward_a_users_photo(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(OTHER, "/start")
    file_id = await client.upload(_png(), "p.png", "image/png")
    sent = await client.post_message(USER, photo={"file_id": file_id}, caption="Lớp học tối")
    async with _bot(sandbox) as bot:
        copied = await bot.copy_message(OTHER, USER, sent["message_id"], caption="Thôn 1 gửi")
        forwarded = await bot.forward_message(OTHER, USER, sent["message_id"])
        assert forwarded.forward_origin is not None
        assert forwarded.forward_origin.sender_user.id == USER  # type: ignore[attr-defined]
        assert forwarded.caption == "Lớp học tối" and forwarded.photo
        with pytest.raises(BadRequest, match="not found"):
            await bot.copy_message(OTHER, USER, 999)
        with pytest.raises(BadRequest, match="can't be edited"):
            await bot.edit_message_caption(USER, sent["message_id"], caption="x")
    history = await client.messages(OTHER)
    copy = next(m for m in history if m["message_id"] == copied.message_id)
    assert copy["caption"] == "Thôn 1 gửi" and "forward_origin" not in copy
    assert copy["photo"][-1]["file_id"] == file_id


async def test_reply_keyboards_force_reply_and_removal(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    await client.send(USER, "hi")
    keyboard = ReplyKeyboardMarkup(
        [["📝 Báo cáo", "📈 Tiến độ"], [KeyboardButton("❓ Hướng dẫn")]],
        is_persistent=True,
        resize_keyboard=True,
        one_time_keyboard=False,
        input_field_placeholder="Gõ số người…",
    )
    async with _bot(sandbox) as bot:
        message = await bot.send_message(USER, "Chọn việc", reply_markup=keyboard)
        # Telegram returns only inline keyboards on a Message.
        assert message.reply_markup is None
        shown = await client.reply_keyboard(USER)
        assert shown is not None and shown["is_persistent"] is True
        assert shown["keyboard"][1][0]["text"] == "❓ Hướng dẫn"
        await bot.send_message(
            USER, "Số người?", reply_markup=ForceReply(input_field_placeholder="35")
        )
        assert await client.reply_keyboard(USER) is not None
        await bot.send_message(USER, "Xong", reply_markup=ReplyKeyboardRemove())
        assert await client.reply_keyboard(USER) is None
        with pytest.raises(BadRequest, match="(?i)placeholder"):
            await bot.send_message(
                USER,
                "x",
                reply_markup=ReplyKeyboardMarkup([["a"]], input_field_placeholder="p" * 65),
            )
        with pytest.raises(BadRequest, match="(?i)text is empty"):
            await bot.send_message(USER, "x", reply_markup=ReplyKeyboardMarkup([[" "]]))
        with pytest.raises(BadRequest, match="(?i)inline keyboard expected"):
            await bot.edit_message_text("y", USER, message.message_id, reply_markup=keyboard)  # type: ignore[arg-type]
        text_only = InlineKeyboardMarkup([[InlineKeyboardButton("a")]])
        with pytest.raises(BadRequest, match="(?i)text buttons are unallowed"):
            await bot.send_message(USER, "x", reply_markup=text_only)


async def test_html_entities_and_user_mentions(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(USER, "hi", first_name="Anh Tú")
    async with _bot(sandbox) as bot:
        message = await bot.send_message(
            USER,
            f'<b>Thôn 1</b>: <a href="tg://user?id={USER}">Anh Tú</a> và '
            '<a href="tg://user?id=424242">Người lạ</a> — <a href="https://x.vn">link</a>',
            parse_mode="HTML",
        )
    assert message.text == "Thôn 1: Anh Tú và Người lạ — link"
    kinds = [(e.type, e.offset, e.length) for e in message.entities]
    # A mention of someone the bot has never met is left as plain text.
    assert kinds == [("bold", 0, 6), ("text_mention", 8, 6), ("text_link", 29, 4)]
    assert message.entities[1].user is not None and message.entities[1].user.first_name == "Anh Tú"
    assert message.text_html.startswith(f'<b>Thôn 1</b>: <a href="tg://user?id={USER}">')


def test_entity_offsets_count_utf16_units_and_charrefs_once() -> None:
    parsed = parse_html("😀 <i>&amp;lt;</i>")
    assert parsed.text == "😀 &lt;"
    assert parsed.entities == [{"type": "italic", "offset": 3, "length": 4}]


async def test_every_call_is_logged_with_its_outcome(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    await client.send(USER, "hi")
    async with _bot(sandbox) as bot:
        await bot.send_message(USER, "một")
        with pytest.raises(BadRequest):
            await bot.send_message(USER + 99, "hai")
        await bot.get_updates(timeout=0)
    calls = await client.calls()
    methods = [(c["method"], c["status"]) for c in calls]
    assert ("sendMessage", 200) in methods and ("sendMessage", 400) in methods
    # Successful polls are not logged: one a second would drown everything else.
    assert all(m != "getUpdates" for m, _ in methods)
    refused = next(c for c in calls if c["status"] == 400)
    assert refused["params"]["chat_id"] == str(USER + 99)
    assert refused["description"] == "Bad Request: chat not found"
