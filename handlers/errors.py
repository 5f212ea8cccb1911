"""The one error handler: log with the traceback, apologise in Vietnamese, never leak details.

An update whose handler raised is not handled any further: the error handler ends with
`ApplicationHandlerStop`, so a failure in one handler group (the access gate's above all)
never lets the update fall through to the next group.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.telegram.context import BotApplication, BotContext
from handlers.threads import forget_reply

logger = logging.getLogger(__name__)


async def _apologise(update: Update, context: BotContext) -> None:
    """Answer the button and say something went wrong (best effort)."""
    if update.effective_chat is None:
        return
    if update.callback_query is not None:
        # Every button press is answered, even one whose handler failed (already answered: fine).
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, context.t("error.internal"))


async def report_error(update: object, context: BotContext) -> None:
    """Log the exception, tell the user politely, and stop the update's other handlers."""
    logger.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        # The later groups will not run: a pending "↩️ Trả lời" lapses here, as it would there.
        await forget_reply(update, context)
        await _apologise(update, context)
    except Exception:
        logger.warning("Could not send the apology", exc_info=True)
    raise ApplicationHandlerStop


def register(application: BotApplication) -> None:
    """Install the error handler."""
    application.add_error_handler(report_error)
