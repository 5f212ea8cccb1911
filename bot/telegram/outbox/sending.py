"""Sending one rendered message (photos, a document, a voice note, text parts) to one chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardMarkup, InputMediaPhoto, Message

from bot.texts.directives import Rendered

MAX_ALBUM = 10


async def send_rendered(
    bot: Bot,
    chat_id: int,
    rendered: Rendered,
    markup: InlineKeyboardMarkup | None,
    start: int = 0,
    on_part: Callable[[int], Awaitable[None]] | None = None,
) -> Message | None:
    """Send each step from `start` (photos, document, text parts); the last gets `markup`.

    `on_part` hears how many steps are done, so a retry resumes instead of repeating.
    """
    steps: list[tuple[str, str]] = []
    if rendered.photos:
        steps.append(("photos", ""))
    if rendered.document_file_id:
        steps.append(("document", rendered.document_file_id))
    if rendered.voice_file_id:
        steps.append(("voice", rendered.voice_file_id))
    steps += [("text", part) for part in rendered.parts]
    message = None
    for index in range(start, len(steps)):
        kind, payload = steps[index]
        last = index == len(steps) - 1
        if kind == "photos":
            message = await _send_photos(bot, chat_id, rendered.photo_file_ids)
        elif kind == "voice":
            message = await bot.send_voice(chat_id, payload, reply_markup=markup if last else None)
        elif kind == "document":
            message = await bot.send_document(
                chat_id, payload, caption=rendered.caption, reply_markup=markup if last else None
            )
        else:
            message = await bot.send_message(
                chat_id,
                payload,
                reply_markup=markup if last else None,
                disable_web_page_preview=True,
            )
        if not last and on_part is not None:
            await on_part(index + 1)
    return message


async def _send_photos(bot: Bot, chat_id: int, file_ids: tuple[str, ...]) -> Message:
    """One photo, or an album of up to ten (Telegram's limit; the rest are left out)."""
    if len(file_ids) == 1:
        return await bot.send_photo(chat_id, file_ids[0])
    album = [InputMediaPhoto(file_id) for file_id in file_ids[:MAX_ALBUM]]
    messages = await bot.send_media_group(chat_id, album)
    return messages[-1]
