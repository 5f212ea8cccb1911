"""Long polling we own: ask Telegram for updates, store them, and only then ask again.

Asking `getUpdates` with `offset = last update_id + 1` is what tells Telegram it may forget
the previous batch. So each batch is written to the durable inbox (bot/telegram/intake/inbox.py)
before the next call: nothing Telegram forgets was left unstored. This is the path the webhook
receiver takes too (it answers 200 only after the store); the Application is built without
PTB's Updater, as PTB's custom-webhook example does.

Errors are PTB's Updater's: a flood-wait sleeps as told, a time-out asks again at once, any
other network error waits longer each time (up to MAX_RETRY_SECONDS), and a revoked token
stops polling with a critical log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from telegram import Bot
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

from bot.telegram.intake.inbox import Inbox

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0
# The last call at a stop only acknowledges: it must not hold the stop up.
ACKNOWLEDGE_TIMEOUT_SECONDS = 2.0


class Poller:
    """One long-polling loop for one bot, feeding one inbox."""

    def __init__(
        self, bot: Bot, inbox: Inbox, *, timeout: float, allowed_updates: Sequence[str]
    ) -> None:
        """Poll with `timeout` seconds of long polling per call (0: short polling)."""
        self._bot = bot
        self._inbox = inbox
        self._timeout = int(timeout)
        self._allowed = list(allowed_updates)
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the loop runs."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start polling in the background."""
        if not self.running:
            self._task = asyncio.create_task(self._poll(), name="polling")

    async def stop(self) -> None:
        """Stop asking, then acknowledge the last stored batch (best effort)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self._acknowledge()

    async def _poll(self) -> None:
        """Ask, store, repeat (see the module for the errors)."""
        wait = FIRST_RETRY_SECONDS
        webhook_deleted = False
        while True:
            try:
                if not webhook_deleted:
                    # Telegram refuses getUpdates while a webhook is set (a switch from
                    # webhook mode); what it holds is kept for us.
                    webhook_deleted = await self._bot.delete_webhook(drop_pending_updates=False)
                updates = await self._bot.get_updates(
                    offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed
                )
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error.retry_after))
                continue
            except TimedOut:
                continue  # a long poll that outlived its read time-out: ask again
            except InvalidToken:
                logger.critical("Telegram refused the bot token: polling stopped")
                return
            except TelegramError as error:
                logger.warning("getUpdates failed (%s); retrying in %.1f s", error, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, MAX_RETRY_SECONDS)
                continue
            wait = FIRST_RETRY_SECONDS
            if updates:
                await self._inbox.store([(update, update.to_json()) for update in updates])
                self._offset = updates[-1].update_id + 1

    async def _acknowledge(self) -> None:
        """Tell Telegram the stored updates were received, so a restart starts after them."""
        if self._offset is None:
            return
        try:
            await self._bot.get_updates(
                offset=self._offset,
                limit=1,
                timeout=0,
                read_timeout=ACKNOWLEDGE_TIMEOUT_SECONDS,
                allowed_updates=self._allowed,
            )
        except TelegramError as error:
            # They are stored: at worst Telegram sends them again and the inbox ignores them.
            logger.info("Could not acknowledge the last updates at stop (%s)", error)


def _seconds(retry_after: float | timedelta) -> float:
    """RetryAfter's wait in seconds (PTB gives a number, or a timedelta when asked to)."""
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after
