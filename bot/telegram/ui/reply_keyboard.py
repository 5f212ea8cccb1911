"""The keyboard under the text box: one per role, in the reader's language.

Pressing a label sends it as text; each label stands for a command, so the access gate checks
it against the one permission table and the command's own handler answers it. Labels are
matched in every language, so a keyboard sent before a language change still works.
"""

from __future__ import annotations

from functools import lru_cache

from telegram import ReplyKeyboardMarkup
from telegram.ext import filters

from bot.texts import N_, Translator, available_languages, translator
from models import Role

# Label → the command it stands for.
LABELS = {
    N_("keyboard.report"): "baocao",
    N_("keyboard.progress"): "tiendo",
    N_("keyboard.help"): "huongdan",
    N_("keyboard.stats"): "thongke",
    N_("keyboard.late"): "chuabaocao",
    N_("keyboard.compose"): "thongbao",
}
HEAD_ROWS = (("keyboard.report", "keyboard.progress"), ("keyboard.help",))
STAFF_ROWS = (("keyboard.stats", "keyboard.late"), ("keyboard.compose", "keyboard.help"))


def keyboard_for(role: Role | None, t: Translator) -> ReplyKeyboardMarkup | None:
    """The persistent keyboard of a role (strangers have none)."""
    if role is None:
        return None
    rows = HEAD_ROWS if role == Role.HEAD else STAFF_ROWS
    return ReplyKeyboardMarkup(
        [[t.plain(key) for key in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


@lru_cache(maxsize=1)
def _commands_by_label() -> dict[str, str]:
    """Every label in every language → its command."""
    return {
        translator(language).plain(key): command
        for language in available_languages()
        for key, command in LABELS.items()
    }


def command_of_label(text: str | None) -> str | None:
    """The command a pressed label stands for, or None for any other text."""
    return _commands_by_label().get((text or "").strip())


def label_filter(*commands: str) -> filters.BaseFilter:
    """Messages that are exactly the label of one of these commands (all languages)."""
    labels = [label for label, command in _commands_by_label().items() if command in commands]
    return filters.ChatType.PRIVATE & filters.Text(labels)


def any_label() -> filters.BaseFilter:
    """Messages that are exactly some label (kept out of typed answers in conversations)."""
    return filters.Text(list(_commands_by_label()))


def typed_text() -> filters.BaseFilter:
    """What a person types as an answer: text that is neither a command nor a label."""
    return filters.TEXT & ~filters.COMMAND & ~any_label()
