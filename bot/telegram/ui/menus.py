"""Per-role command menus, derived from the permission table, in each person's language."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.telegram.ui.permissions import menu_for
from bot.texts import N_, Translator, translator
from models import Role

logger = logging.getLogger(__name__)

DESCRIPTIONS = {
    "start": N_("command.start"),
    "huongdan": N_("command.huongdan"),
    "huy": N_("command.huy"),
    "baocao": N_("command.baocao"),
    "tiendo": N_("command.tiendo"),
    "thongbao": N_("command.thongbao"),
    "moi": N_("command.moi"),
    "phanquyen": N_("command.phanquyen"),
    "nguoidung": N_("command.nguoidung"),
    "donvi": N_("command.donvi"),
    "thongke": N_("command.thongke"),
    "chuabaocao": N_("command.chuabaocao"),
    "xuatexcel": N_("command.xuatexcel"),
    "lich": N_("command.lich"),
    "phanhoi": N_("command.phanhoi"),
    "ngonngu": N_("command.ngonngu"),
    "chiase": N_("command.chiase"),
    "mohinh": N_("command.mohinh"),
    "bieuduong": N_("command.bieuduong"),
}


def commands_for(role: Role | None, t: Translator) -> list[BotCommand]:
    """Return the menu of a role, described in one language."""
    return [BotCommand(name, t.plain(DESCRIPTIONS[name])) for name in menu_for(role)]


async def set_default_menu(bot: Bot) -> None:
    """The menu strangers see in private chats: Vietnamese, whatever their phone's language."""
    await bot.set_my_commands(
        commands_for(None, translator()), scope=BotCommandScopeAllPrivateChats()
    )


async def set_chat_menu(bot: Bot, chat_id: int, role: Role | None, t: Translator) -> None:
    """Refresh one person's menu (role or language changed); a failure is logged, not fatal."""
    try:
        await bot.set_my_commands(commands_for(role, t), scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        logger.warning("Could not refresh the command menu of chat %s", chat_id, exc_info=True)


async def set_descriptions(bot: Bot) -> None:
    """What a new head sees before pressing Start, in Vietnamese (the commune's language)."""
    t = translator()
    try:
        await bot.set_my_description(t.plain("bot.description"))
        await bot.set_my_short_description(t.plain("bot.short_description"))
    except TelegramError:
        logger.warning("Could not set the bot's description", exc_info=True)
