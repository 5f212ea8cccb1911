"""One question at a time: entering a conversation ends the others the person left half-way.

PTB keeps each ConversationHandler's state apart, so a person could be inside two at once
(asked for the enrolled figure by /baocao, then sharing a model with /chiase), and the one
registered first would take the text typed for the other ("❌ Không đọc được số" to a model's
description). So when an entry point (a command, a key, a button) opens a question, the
person's other conversations end, as their question was dropped; one that asks nothing (a
report given with its figures, "✅ Duyệt") leaves the others as they were. A pending
"↩️ Trả lời" is a draft, not a conversation: handlers/threads.py drops it on any command or
other button.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, ConversationHandler

from bot.telegram.persistence import candidate_keys, conversation_states, persistent_conversations

Step = Callable[[Any, Any], Coroutine[Any, Any, Any]]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def end_other_conversations(application: AnyApplication, update: Update, keep: str) -> list[str]:
    """End the sender's conversations other than `keep`; return the names of those ended.

    The state is removed as if the conversation had ended (and stored so by the persistence),
    and its timeout is cancelled, so no "time is up" arrives later for a question dropped.
    """
    chat, user = update.effective_chat, update.effective_user
    keys = candidate_keys(chat.id if chat else None, user.id if user else None)
    ended: list[str] = []
    for handler in persistent_conversations(application):
        if handler.name == keep:
            continue
        assert handler.name is not None
        states = conversation_states(application, handler.name)
        for key in keys:
            if key not in states:
                continue
            del states[key]
            job = handler.timeout_jobs.pop(key, None)
            if job is not None:
                job.schedule_removal()
            ended.append(handler.name)
    return ended


def _entering(step: Step, name: str) -> Step:
    """An entry point's callback that, when it opens a question, ends the other conversations."""

    @functools.wraps(step)
    async def entering(update: Any, context: Any) -> Any:
        state = await step(update, context)
        if isinstance(update, Update) and state is not None and state != ConversationHandler.END:
            end_other_conversations(context.application, update, keep=name)
        return state

    return entering


def one_question_at_a_time(application: AnyApplication) -> None:
    """Wrap the entry points and fallbacks of every persistent conversation (call once)."""
    for conversation in persistent_conversations(application):
        assert conversation.name is not None
        for handler in (*conversation.entry_points, *conversation.fallbacks):
            handler.callback = _entering(handler.callback, conversation.name)
