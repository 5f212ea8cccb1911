"""Concurrent update processing: each chat in order, and no chat holding more than one slot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB takes its own semaphore *before* `do_process_update`, i.e. before we know whether the
# chat is busy: 16 updates of one flooding chat would fill every slot while they queue on
# that chat's lock. So PTB's semaphore is made wide enough never to wait, and ours is taken
# after the chat's turn has come.
UNBOUNDED = 1_000_000

logger = logging.getLogger(__name__)

# The updates the bot handles; Telegram sends nothing else (polling and webhook alike).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


class Steps(Protocol):
    """What happens around an update in its chat's turn (bot/telegram/intake/update_steps.py)."""

    async def admit(self, update: object) -> bool:
        """Whether this process may process the update (False leaves it to another)."""

    async def before(self, update: object) -> None:
        """Load what the update needs (the sender's drafts and conversation states)."""

    async def after(self, update: object) -> None:
        """Store what the update changed, before it is marked done."""


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Run updates of different chats concurrently, and those of one chat one after another.

    An update first waits for its chat's earlier updates, and only then for one of the
    `max_concurrent_updates` slots: one chat occupies at most one slot, so a flood from one
    user delays that user alone. `on_done(update)` (the durable inbox) is told when an update
    was processed, still in the chat's order.

    `steps`, in the chat's turn: `admit(update)` says whether this process may still process
    it (it leads, or holds the chat); one it may not is left pending in the inbox for the
    process that may. `before` loads shared state (the sender's drafts) and `after` stores
    it, before the update is marked done.
    """

    def __init__(
        self,
        max_concurrent_updates: int,
        steps: Steps | None = None,
        on_done: Callable[[object], None] | None = None,
    ) -> None:
        """Allow up to `max_concurrent_updates` chats to be served at once."""
        super().__init__(UNBOUNDED)
        self.slots = max_concurrent_updates
        self.steps = steps
        self.on_done = on_done
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int | None, asyncio.Lock] = {}
        self._users: dict[int | None, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's earlier updates, then for a slot, then process this one."""
        key = chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                async with self._slots:
                    if not await self._begin(update, coroutine):
                        return
                    await coroutine
                    await self._end(update)
                if self.on_done is not None:
                    self.on_done(update)
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                # Forget idle chats so memory does not grow with the number of users.
                del self._users[key], self._locks[key]

    async def _begin(self, update: object, coroutine: Awaitable[Any]) -> bool:
        """Admit the update and load what it needs; False leaves it for another process."""
        if self.steps is None:
            return True
        if not await self.steps.admit(update):
            if isinstance(coroutine, Coroutine):
                coroutine.close()  # never started: nothing ran
            return False
        try:
            await self.steps.before(update)
        except Exception:
            logger.exception("Could not load the shared state of an update; going on")
        return True

    async def _end(self, update: object) -> None:
        """Store what the update changed (drafts, conversation states)."""
        if self.steps is None:
            return
        try:
            await self.steps.after(update)
        except Exception:
            logger.exception("Could not store the shared state of an update")

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""


def chat_key(update: object) -> int | None:
    """The chat (or, failing that, the user) an update belongs to."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None
