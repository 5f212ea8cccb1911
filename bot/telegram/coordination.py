"""What a process is among those sharing the database, and the changes it must notice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.services.common.sync import versions
from models.db import Database

logger = logging.getLogger(__name__)


@dataclass
class Leadership:
    """The name of the process, and whether it leads now (polls, schedules and sends)."""

    worker: str
    leading: bool = False


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
