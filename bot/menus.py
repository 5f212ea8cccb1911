"""Per-role command menus, derived from the permission table and set per chat."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot import texts
from bot.permissions import menu_for
from models import Role

logger = logging.getLogger(__name__)


def commands_for(role: Role | None) -> list[BotCommand]:
    """Return the menu of a role, with Vietnamese descriptions."""
    return [BotCommand(name, texts.COMMAND_DESCRIPTIONS[name]) for name in menu_for(role)]


async def set_default_menu(bot: Bot) -> None:
    """The menu strangers see in private chats."""
    await bot.set_my_commands(commands_for(None), scope=BotCommandScopeAllPrivateChats())


async def set_chat_menu(bot: Bot, chat_id: int, role: Role | None) -> None:
    """Refresh one user's menu after their role changed; a failure is logged, not fatal."""
    try:
        await bot.set_my_commands(commands_for(role), scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        logger.warning("Could not refresh the command menu of chat %s", chat_id, exc_info=True)
