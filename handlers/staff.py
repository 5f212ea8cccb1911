"""Staff conversations re-check the role at every step, so a demoted officer cannot finish one.

The gate checks commands and buttons against the permissions table, but a conversation's typed
answers ("the new rule", "the directive's text") are plain messages the gate lets through. A
conversation wrapped here asks the table again before each of its steps.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler

from bot.telegram.context import BotContext
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.ui.permissions import command_allowed

logger = logging.getLogger(__name__)

Step = Callable[[Any, BotContext], Coroutine[Any, Any, Any]]


def _checked(step: Step, command: str, slot: str) -> Step:
    """The step, run only while the sender may still use `command`."""

    @functools.wraps(step)
    async def checked(update: Any, context: BotContext) -> Any:
        assert isinstance(update, Update)
        if command_allowed(command, context.who.role):
            return await step(update, context)
        logger.info("User %s lost the right to /%s mid-conversation", context.who.user_id, command)
        setattr(context.drafts, slot, None)
        if update.callback_query is not None:
            await update.callback_query.answer(
                context.t.plain("access.not_allowed"), show_alert=True
            )
        elif update.effective_message is not None:
            await update.effective_message.reply_text(context.t("access.not_allowed"))
        return ConversationHandler.END

    return checked


def staff_only(conversation: Conversation, *, command: str, slot: str) -> Conversation:
    """Wrap every state's handlers of `conversation` with the role check of `command`."""
    for handlers in conversation.states.values():
        for handler in handlers:
            _wrap(handler, command, slot)
    return conversation


def _wrap(handler: BaseHandler[Any, BotContext, Any], command: str, slot: str) -> None:
    """Replace one handler's callback by its checked version."""
    handler.callback = _checked(handler.callback, command, slot)
