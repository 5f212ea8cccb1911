"""What a process is among those sharing the database, and the changes it must notice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.services.common.sync import versions
from models.db import Database

logger = logging.getLogger(__name__)


class ChatHolder(Protocol):
    """What a webhook worker knows of the chats it holds (bot/processes/chat_router.py)."""

    def holds(self, chat_key: int | None) -> bool:
        """Whether this worker holds the chat now."""


@dataclass
class Leadership:
    """The name of the process, whether it leads now (polls, schedules and sends), and its chats.

    Polling, the leader serves every chat. By webhook, every worker receives, and a chat is
    served by the worker holding its claim (`chats`, set when the worker starts receiving).
    """

    worker: str
    leading: bool = False
    chats: ChatHolder | None = None

    def serves(self, chat: int | None) -> bool:
        """Whether this process may process a chat's updates, and write its drafts, now."""
        if self.chats is not None:
            return self.chats.holds(chat)
        return self.leading


class SyncWatcher:
    """Reads the shared counters every `interval` seconds and reacts to the ones that moved.

    `on_change[name](version)` runs when counter `name` changed since the last look (a role
    granted by `binhdan grant`, a schedule paused on another worker); the first look only
    remembers.
    """

    def __init__(
        self,
        db: Database,
        interval: float,
        on_change: dict[str, Callable[[int], Awaitable[None]]],
    ) -> None:
        """Watch these counters."""
        self._db = db
        self._interval = interval
        self._on_change = on_change
        self._seen: dict[str, int] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin watching."""
        self._task = asyncio.create_task(self._loop(), name="sync-watcher")

    async def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def look(self) -> None:
        """Read the counters once and run the reactions due."""
        now = await versions(self._db)
        seen, self._seen = self._seen, now
        if seen is None:
            return
        for name, react in self._on_change.items():
            if now.get(name, 0) != seen.get(name, 0):
                try:
                    await react(now.get(name, 0))
                except Exception:
                    logger.exception("Could not follow the change of %s", name)

    async def _loop(self) -> None:
        """Look, sleep, look again."""
        while True:
            try:
                await self.look()
            except Exception:
                logger.warning("Could not read the shared counters; retrying", exc_info=True)
            await asyncio.sleep(self._interval)
