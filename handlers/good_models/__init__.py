"""/chiase (share a good model), its review by officers ("✅ Duyệt", "📢 Lan tỏa"), /mohinh.

One module per flow: sharing.py (a unit shares), review.py (officers review and spread),
listing.py (anyone registered reads the approved ones).
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotApplication
from bot.telegram.ui.callbacks import Action, pattern
from handlers.good_models.listing import show_model, show_models
from handlers.good_models.province import spread_province
from handlers.good_models.review import build_review_conversation
from handlers.good_models.sharing import build_share_conversation
from handlers.staff import staff_only


def register(application: BotApplication) -> None:
    """Install /chiase, the officers' review buttons and /mohinh."""
    timeout = application.bot_data.settings.conversation_timeout_seconds
    application.add_handler(build_share_conversation(application.bot_data.shared_state, timeout))
    application.add_handler(
        staff_only(
            build_review_conversation(application.bot_data.shared_state, timeout),
            command="bieuduong",
            slot="model_review",
        )
    )
    application.add_handler(CommandHandler("mohinh", show_models))
    application.add_handler(
        CallbackQueryHandler(spread_province, pattern=pattern(Action.MODEL_PROVINCE, r"\d+"))
    )
    application.add_handler(
        CallbackQueryHandler(show_model, pattern=pattern(Action.MODEL_SHOW, r"\d+"))
    )
