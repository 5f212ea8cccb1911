"""The durable inbox: every update is stored before it is acknowledged, then queued.

Updates come from our polling loop (bot/telegram/intake/polling.py), which asks Telegram for the
next batch only after `store` returned (asking with the next offset is what acknowledges
the previous batch), or from the webhook receiver (bot/telegram/intake/webhook.py), which answers
200 only after `store` returned. `store` writes the batch to the `updates` table in one
transaction (retrying until the database takes it), then puts the new updates on the
Application's `update_queue`. Updates stored by concurrent callers (webhook posts) are
written together.

Then:
- an update already stored (Telegram delivered it again, e.g. after a crash before the
  acknowledgement) is not queued a second time: its `update_id` is the table's key;
- the update processor tells `mark_done` when an update was processed; a writer task records
  that at once (several at a time when busy);
- at start, `recover` queues the stored updates never marked done, oldest first, before
  polling begins, so they are processed first and, per chat, in order;
- rows handled more than `INBOX_KEEP_DAYS` ago are pruned at start and every hour.

A crash between a reply and its `done` mark processes that update again at the next start
(at-least-once; reports are idempotent on their update id, R6).

With several processes on one database (bot/runtime.py): in long polling only the leader
polls, and it queues the unfinished rows when it becomes the leader (`recover`). In webhook
mode every worker stores what it receives and hands the chat to its `router`
(bot/processes/chat_router.py), which queues a chat's stored updates, in order, only in the one
worker holding that chat's claim. `queued` remembers what is in this process's pipeline, so
nothing is queued twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from telegram import Bot, Update

from bot.services.maintenance import inbox
from bot.telegram.intake.updates import chat_key
from models.base import utcnow
from models.db import Database

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.2
MAX_RETRY_SECONDS = 10.0
PRUNE_EVERY_SECONDS = 3600.0
DONE_GATHER_SECONDS = 0.05
# How long stop() waits for the writer to end.
WRITER_STOP_SECONDS = 5.0
# An update recorded done is remembered this long: a read of pending rows that began before
# the done mark was committed (a snapshot) must not queue it again.
RECENTLY_DONE_SECONDS = 120.0


class Inbox:
    """Stores every Telegram update, then queues it for processing (see the module)."""

    def __init__(self, queue: asyncio.Queue[object]) -> None:
        """Queue onto the Application's `update_queue`; `attach` gives the database."""
        self._queue = queue
        self._db: Database | None = None
        self._keep = timedelta(days=7)
        self._bot: Bot | None = None
        self._done: set[int] = set()
        # Updates handed to `store` and not yet written, each with its JSON as received.
        self._received: list[tuple[Update, str]] = []
        self._storing = asyncio.Lock()
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self._stopping = False
        # Updates in this process's pipeline (queued, being processed, or done but not yet
        # recorded), by id, with their chat; and those recorded done lately (id → when).
        self.queued: dict[int, int | None] = {}
        self._recently_done: dict[int, float] = {}
        # Webhook mode: called with a stored update's chat; the router decides who queues it.
        self.route: Callable[[int | None], None] | None = None

    async def attach(self, db: Database, bot: Bot, keep_days: int) -> None:
        """Start storing and prune old rows (`recover` queues what was left unprocessed)."""
        self._db, self._bot, self._keep = db, bot, timedelta(days=keep_days)
        await self._prune()
        self._writer = asyncio.create_task(self._write_loop(), name="inbox-writer")

    async def recover(self) -> int:
        """Queue the stored updates never marked done, oldest first (the new leader)."""
        assert self._db is not None
        pending = await inbox.unfinished(self._db)
        queued = [row for row in pending if await self.enqueue_stored(row)]
        if queued:
            logger.warning("Processing %d updates received before the last stop", len(queued))
        return len(queued)

    async def enqueue_stored(self, row: inbox.Incoming) -> bool:
        """Queue an update already in the table, unless it is in the pipeline or just done."""
        if self._closed or row.update_id in self.queued or row.update_id in self._recently_done:
            return False
        assert self._bot is not None
        update = Update.de_json(json.loads(row.payload), self._bot)
        self.queued[row.update_id] = row.chat_key
        await self._queue.put(update)
        return True

    def finished(self, update_id: int) -> bool:
        """Whether this process processed the update and recorded it done (lately)."""
        return update_id in self._recently_done

    def skipped(self, update: object) -> None:
        """The processor left this update to another process: it leaves our pipeline."""
        if isinstance(update, Update):
            self.queued.pop(update.update_id, None)

    async def store(self, batch: Sequence[tuple[Update, str]]) -> None:
        """Store updates (each with its JSON as received) and queue the new ones.

        Returns once they are written: only then may they be acknowledged to Telegram. The
        JSON as received recognises a redelivery by comparing it with what was stored.
        """
        self._received.extend(batch)
        async with self._storing:
            gathered, self._received = self._received, []
            if not gathered:
                return  # a concurrent call wrote them with its own
            assert self._db is not None
            incoming = [inbox.Incoming(u.update_id, chat_key(u), raw) for u, raw in gathered]
            # Cancelled (a stop) before it is written: nothing was acknowledged either, and
            # Telegram sends the batch again.
            fresh = await self._store_many(incoming)
            for update, row in zip((u for u, _ in gathered), incoming, strict=True):
                await self._queue_fresh(update, row, fresh)

    async def _queue_fresh(self, update: Update, row: inbox.Incoming, fresh: set[int]) -> None:
        """Queue an update just stored, unless it was stored before or we are stopping."""
        if update.update_id not in fresh:
            logger.info("Update %s was delivered again; already stored", update.update_id)
        elif self._closed:
            return  # stopping: stored and left pending for whoever processes next
        elif self.route is not None:
            self.route(row.chat_key)  # webhook mode: the chat's claimant queues it
        elif update.update_id not in self.queued:
            self.queued[update.update_id] = row.chat_key
            await self._queue.put(update)

    async def _store_many(self, incoming: list[inbox.Incoming]) -> set[int]:
        """Write the rows in one transaction, retrying with backoff; the ids that were new."""
        assert self._db is not None
        wait = FIRST_RETRY_SECONDS
        while True:
            try:
                return set(await inbox.store_many(self._db, incoming, utcnow()))
            except Exception:
                logger.exception(
                    "Could not store %d updates; retrying in %.1f s", len(incoming), wait
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, MAX_RETRY_SECONDS)

    def close(self) -> None:
        """Stop queueing: what is stored from now on waits for the next process (or start)."""
        self._closed = True

    def mark_done(self, update: object) -> None:
        """The processor finished this update: record it soon (the writer task)."""
        if isinstance(update, Update):
            self._done.add(update.update_id)
            self._wake.set()

    async def _write_loop(self) -> None:
        """Record done marks as soon as there are any; prune every hour."""
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + PRUNE_EVERY_SECONDS
        # A flag, not only the task's cancellation: wait_for may swallow a cancel that
        # arrives just as the wake is set, and the loop must still end.
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), PRUNE_EVERY_SECONDS)
            self._wake.clear()
            # Marks that come in the next moment join this transaction: one write for many
            # updates instead of one each, at the price of a redelivery window this long.
            await asyncio.sleep(DONE_GATHER_SECONDS)
            await self._flush()
            if loop.time() >= next_prune:
                next_prune = loop.time() + PRUNE_EVERY_SECONDS
                with contextlib.suppress(Exception):
                    await self._prune()

    async def _flush(self) -> None:
        """Write the pending done marks; on failure keep them for the next round (log line)."""
        if not self._done or self._db is None:
            return
        batch, self._done = self._done, set()
        try:
            await inbox.mark_done(self._db, batch, utcnow())
        except asyncio.CancelledError:
            # Stopped mid-write: `stop` writes them again (marking done twice is harmless).
            self._done |= batch
            raise
        except Exception:
            logger.exception("Could not mark %d updates done; retrying", len(batch))
            self._done |= batch
            await asyncio.sleep(FIRST_RETRY_SECONDS)
            self._wake.set()
            return
        now = asyncio.get_running_loop().time()
        for update_id in batch:
            self.queued.pop(update_id, None)
            self._recently_done[update_id] = now
        # Forget the oldest (the dict keeps insertion order).
        horizon = now - RECENTLY_DONE_SECONDS
        for update_id, at in list(self._recently_done.items()):
            if at >= horizon:
                break
            del self._recently_done[update_id]

    async def _prune(self) -> None:
        """Forget updates handled long ago."""
        assert self._db is not None
        removed = await inbox.prune(self._db, utcnow() - self._keep)
        if removed:
            logger.info("Pruned %d old updates from the inbox", removed)

    async def stop(self) -> None:
        """Write the last done marks and stop the writer."""
        self._stopping = True
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.wait({self._writer}, timeout=WRITER_STOP_SECONDS)
            self._writer = None
        for _ in range(3):
            if not self._done:
                break
            await self._flush()
