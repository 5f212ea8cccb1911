"""The footprint peer: a bare python-telegram-bot echo bot, started like `binhdan run`."""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    if update.message is not None:
        await update.message.reply_text(update.message.text or "")


def main() -> None:
    """Poll the sandbox named in the environment."""
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_BASE_URL"])
        .base_file_url(os.environ["TELEGRAM_BASE_FILE_URL"])
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.run_polling()


if __name__ == "__main__":
    main()
