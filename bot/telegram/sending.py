"""Sending one rendered message (document first, then text parts) to one chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardMarkup, Message

from bot.texts.directives import Rendered


async def send_rendered(
    bot: Bot,
    chat_id: int,
    rendered: Rendered,
    markup: InlineKeyboardMarkup | None,
    start: int = 0,
    on_part: Callable[[int], Awaitable[None]] | None = None,
) -> Message | None:
    """Send the document (if any) and the text parts from step `start`; the last gets `markup`."""
    steps: list[tuple[str, str]] = []
    if rendered.document_file_id:
        steps.append(("document", rendered.document_file_id))
    steps += [("text", part) for part in rendered.parts]
    message = None
    for index in range(start, len(steps)):
        kind, payload = steps[index]
        last = index == len(steps) - 1
        if kind == "document":
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
