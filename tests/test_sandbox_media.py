"""Users send media, locations and contacts, in private chats and groups, as in Telegram."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient

USER = 601
GROUP = -1001234567890


def _png(width: int, height: int) -> bytes:
    """A real image of the given size."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _bot(sandbox: Sandbox) -> Bot:
    return Bot(sandbox.config.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)


async def _only_update(bot: Bot) -> Update:
    """The one queued update, confirmed so the next call starts clean."""
    [update] = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=update.update_id + 1, timeout=0)
    return update


async def test_photo_arrives_in_sizes_and_downloads(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    original = _png(1000, 600)
    await client.send_photo(USER, original, caption="Danh sách đăng ký", name="ds.png")
    async with _bot(sandbox) as bot:
        message = (await _only_update(bot)).message
        assert message is not None and message.caption == "Danh sách đăng ký"
        sizes = message.photo
        assert [s.width for s in sizes] == [90, 320, 800, 1000]
        assert [s.height for s in sizes] == [54, 192, 480, 600]
        assert len({s.file_id for s in sizes}) == 4
        assert all(s.file_unique_id and s.file_size for s in sizes)
        largest = await (await bot.get_file(sizes[-1].file_id)).download_as_bytearray()
        assert bytes(largest) == original
        small = await (await bot.get_file(sizes[0].file_id)).download_as_bytearray()
        with Image.open(io.BytesIO(bytes(small))) as thumb:
            assert (thumb.format, thumb.size) == ("JPEG", (90, 54))


async def test_a_photo_that_is_not_an_image_is_refused(client: SandboxClient) -> None:
    file_id = await client.upload(b"not an image", "x.jpg", "image/jpeg")
    with pytest.raises(httpx.HTTPStatusError, match="400"):
        await client.send(USER, None, photo={"file_id": file_id})


async def test_document_voice_video_sticker_location_contact(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    async with _bot(sandbox) as bot:
        await client.send_document(USER, b"a,b\n1,2\n", "so-lieu.csv", mime="text/csv")
        document = (await _only_update(bot)).message
        assert document is not None and document.document is not None
        assert (document.document.file_name, document.document.mime_type) == (
            "so-lieu.csv",
            "text/csv",
        )
        data = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
        assert bytes(data) == b"a,b\n1,2\n"

        await client.send_voice(USER, b"OggS voice", duration=7)
        voice = (await _only_update(bot)).message
        assert voice is not None and voice.voice is not None
        assert (voice.voice.duration, voice.voice.mime_type) == (7, "audio/ogg")

        await client.send_video(USER, duration=12, width=1280, height=720)
        video = (await _only_update(bot)).message
        assert video is not None and video.video is not None
        assert (video.video.width, video.video.height, video.video.duration) == (1280, 720, 12)

        await client.send_sticker(USER, "🎉")
        sticker = (await _only_update(bot)).message
        assert sticker is not None and sticker.sticker is not None
        assert sticker.sticker.emoji == "🎉"

        await client.send_location(USER, 12.79, 108.44)
        location = (await _only_update(bot)).message
        assert location is not None and location.location is not None
        assert (location.location.latitude, location.location.longitude) == (12.79, 108.44)

        await client.send_contact(USER, "+84900000001", "Chị Hoa", contact_user_id=777)
        contact = (await _only_update(bot)).message
        assert contact is not None and contact.contact is not None
        assert (contact.contact.phone_number, contact.contact.user_id) == ("+84900000001", 777)


async def test_group_messages_and_button_presses(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(
        USER,
        "/baocao@binhdan_sandbox_bot",
        chat_id=GROUP,
        chat_type="supergroup",
        chat_title="Tổ công nghệ số thôn 1",
        first_name="Lan",
    )
    async with _bot(sandbox) as bot:
        message = (await _only_update(bot)).message
        assert message is not None and message.from_user is not None
        assert (message.chat.id, message.chat.type, message.chat.title) == (
            GROUP,
            "supergroup",
            "Tổ công nghệ số thôn 1",
        )
        assert message.from_user.id == USER and message.from_user.first_name == "Lan"
        assert message.text == "/baocao@binhdan_sandbox_bot"
        assert message.entities[0].length == len("/baocao@binhdan_sandbox_bot")

        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Đã nhận", callback_data="a")]])
        sent = await bot.send_message(GROUP, "Thông báo", reply_markup=keyboard)
        assert sent.chat.type == "supergroup"
        await client.press(USER + 1, sent.message_id, "a", chat_id=GROUP)
        query = (await _only_update(bot)).callback_query
        assert query is not None and query.message is not None and query.from_user.id == USER + 1
        assert query.message.chat.id == GROUP and query.data == "a"
        assert await query.answer("Đã ghi nhận")
    answers = [e for e in await client.events(GROUP) if e["method"] == "answerCallbackQuery"]
    assert [a["text"] for a in answers] == ["Đã ghi nhận"]


async def test_chat_ids_must_match_the_chat_type(client: SandboxClient) -> None:
    with pytest.raises(httpx.HTTPStatusError, match="400"):
        await client.send(USER, "x", chat_id=USER + 5)
    with pytest.raises(httpx.HTTPStatusError, match="400"):
        await client.send(USER, "x", chat_id=42, chat_type="group")


async def test_buttons_only_under_the_bots_messages(client: SandboxClient) -> None:
    sent = await client.post_message(USER, text="tin của người dùng")
    with pytest.raises(httpx.HTTPStatusError, match="400"):
        await client.press(USER, sent["message_id"], "x")
