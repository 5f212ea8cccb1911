"""Around each update, in its chat's turn: is it this process's, then its shared state."""

from __future__ import annotations

import asyncio

from bot.processes.leadership import Leadership
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.intake.inbox import Inbox
from bot.telegram.intake.updates import chat_key
from models import scope


class UpdateSteps:
    """Admit an update where its chat is served, load the sender's state, and store it after."""

    def __init__(self, leadership: Leadership, inbox: Inbox, shared_state: SharedState) -> None:
        """Steps for this process."""
        self._leadership = leadership
        self._inbox = inbox
        self._shared = shared_state
        # Held while drafts and conversation states are written after an update.
        self._writing = asyncio.Lock()

    async def admit(self, update: object) -> bool:
        """Process an update only where it belongs: the leader (polling) or the chat's holder."""
        admitted = self._leadership.serves(chat_key(update))
        if not admitted:
            self._inbox.skipped(update)
        return admitted

    async def before(self, update: object) -> None:
        """Load the sender's drafts and conversation states."""
        await self._shared.prepare(update)

    async def after(self, update: object) -> None:
        """Write the drafts and conversation states the update changed, if any.

        Another chat's write may already have taken this update's change with it (every
        pending change is written at once): then wait for that write, so that no update is
        marked done before what it changed is committed.
        """
        if self._shared.has_changes(update):
            async with self._writing:
                await self._shared.write(update)
        elif self._writing.locked():
            async with self._writing:
                pass
        # The gate narrowed this task to the sender's commune; when updates are handled one
        # after another in one task, nothing after them may run narrowed.
        scope.enter(None)
