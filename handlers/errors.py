"""The one error handler: log with the traceback, apologise in Vietnamese, never leak details."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.telegram.context import BotApplication, BotContext

logger = logging.getLogger(__name__)


async def report_error(update: object, context: BotContext) -> None:
    """Log the exception and tell the user politely that something went wrong."""
    logger.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        # Every button press is answered, even one whose handler failed (already answered: fine).
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await context.bot.send_message(update.effective_chat.id, context.t("error.internal"))
    except TelegramError:
        logger.warning("Could not send the apology", exc_info=True)


def register(application: BotApplication) -> None:
    """Install the error handler."""
    application.add_error_handler(report_error)
