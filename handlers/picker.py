"""One paged picker of units: ticks, pages and "✔️ Xong", shared by every flow that picks units."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.services.registry.units import unit_choices
from bot.telegram.context import BotContext
from bot.telegram.ui.callbacks import Action, build
from bot.telegram.ui.keyboards import buttons
from bot.texts import Translator
from handlers.common import reply

# Eight names and the navigation row fit a cheap phone's screen without scrolling.
PAGE_SIZE = 8

# A unit is picked by its code in some flows and by its id in others.
Key = TypeVar("Key", str, int)


def page_of(count: int, page: int) -> tuple[int, int]:
    """The page actually shown (a stale number is brought in range) and how many there are."""
    pages = max(1, -(-count // PAGE_SIZE))
    return max(0, min(page, pages - 1)), pages


@dataclass(frozen=True)
class PickerActions:
    """The buttons of one flow's picker: tick (or open) a unit, turn a page, finish (if any)."""

    pick: Action
    page: Action
    done: Action | None = None


def picker_keyboard(
    t: Translator,
    choices: Sequence[tuple[Key, str]],
    ticked: Collection[Key],
    page: int,
    actions: PickerActions,
) -> InlineKeyboardMarkup:
    """One page of (key, name) choices, ticked ones marked, with ◀️ n/m ▶️ and "✔️ Xong"."""
    page, pages = page_of(len(choices), page)
    rows = [
        [(("✔️ " if key in ticked else "") + name, build(actions.pick, key))]
        for key, name in choices[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    navigation = []
    if page > 0:
        navigation.append((t.plain("button.previous"), build(actions.page, page - 1)))
    navigation.append((f"{page + 1}/{pages}", build(actions.page, page)))
    if page < pages - 1:
        navigation.append((t.plain("button.next"), build(actions.page, page + 1)))
    if actions.done is None:
        return buttons(*rows, navigation)
    return buttons(*rows, navigation, [(t("button.done"), build(actions.done))])


async def show_unit_picker(
    update: Update,
    context: BotContext,
    picked: Collection[str],
    page: int,
    actions: PickerActions,
    *,
    edit: bool,
) -> None:
    """The followed units by code, ticked when picked: redrawn in place, or a new message."""
    choices = [(u.code, u.name) for u in await unit_choices(context.deps.db)]
    markup = picker_keyboard(context.t, choices, picked, page, actions)
    if edit and update.callback_query is not None:
        await redraw_picker(update, markup)
    else:
        await reply(update, context.t("audience.pick"), markup)


async def redraw_picker(
    update: Update, markup: InlineKeyboardMarkup, prompt: str | None = None
) -> None:
    """The pressed message's picker redrawn in place (and its text, when given)."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    # Pressing the current page number changes nothing: Telegram says "not modified".
    with contextlib.suppress(BadRequest):
        if prompt is None:
            await query.edit_message_reply_markup(markup)
        else:
            await query.edit_message_text(prompt, reply_markup=markup)
