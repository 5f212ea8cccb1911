"""Group chats: the bot works in private chats, and says so once in a while when addressed."""

from __future__ import annotations

import time
from collections.abc import Callable

from telegram import Message

# A group hears the answer at most once per this many hours, however often it is addressed:
# the commune's groups must never fill with the bot's notices.
GROUP_NOTICE_HOURS = 6


def addresses_bot(message: Message, bot_id: int, bot_username: str) -> bool:
    """Whether a group message is meant for the bot: a command, a mention, a reply, a join."""
    if any(member.id == bot_id for member in message.new_chat_members or ()):
        return True
    text = message.text or message.caption or ""
    if text.startswith("/") or (bot_username and f"@{bot_username.lower()}" in text.lower()):
        return True
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


class GroupNotices:
    """Remembers when each group last heard the notice (in memory: a restart may repeat it)."""

    def __init__(
        self, hours: float = GROUP_NOTICE_HOURS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Nothing noticed yet."""
        self._interval = hours * 3600
        self._clock = clock
        self._last: dict[int, float] = {}

    def due(self, chat_id: int) -> bool:
        """Whether the group may hear the notice now; if so, remember that it did."""
        now = self._clock()
        last = self._last.get(chat_id)
        if last is not None and now - last < self._interval:
            return False
        self._last[chat_id] = now
        return True
