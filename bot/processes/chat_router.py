"""Webhook workers share the chats: each chat is processed by the one worker holding its claim.

Telegram (through the proxy) may post a chat's updates to any worker. Each worker stores what
it receives in the durable inbox and answers at once; then the chat is *offered*: the worker
takes the chat's claim if it is free (bot/services/maintenance/claims.py) and queues the chat's
stored updates in `update_id` order. A chat held by another worker is left to it: that worker
finds the new rows on its next sweep (every SWEEP_SECONDS). So a chat's updates are processed
in order, once, whichever worker received them; a worker keeps its chats while they are
active (conversations continue where their drafts are), renews its claims every third of a
lease, and a worker that dies loses them when the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from bot.services.maintenance import claims
from bot.services.maintenance.inbox import Incoming
from models.base import utcnow
from models.db import Database

logger = logging.getLogger(__name__)

# How often a worker looks for stored updates of chats nobody (or it) holds.
SWEEP_SECONDS = 0.2
SWEEP_BATCH = 200


class Pipeline(Protocol):
    """What the router needs of the durable inbox (bot/telegram/intake/inbox.py)."""

    # Update id → chat of every update in this process's pipeline.
    queued: dict[int, int | None]

    async def enqueue_stored(self, row: Incoming) -> bool:
        """Queue a stored update unless it is already in the pipeline or just done."""


class ChatRouter:
    """Claims chats for this worker and queues their stored updates, in order."""

    def __init__(
        self,
        db: Database,
        inbox: Pipeline,
        worker: str,
        *,
        lease_seconds: float,
        keep_seconds: float,
        on_change: Callable[[int], None] = lambda chat: None,
    ) -> None:
        """Route for `worker`; `on_change(chat)` is told when a chat is taken or lost."""
        self._db = db
        self._inbox = inbox
        self.worker = worker
        self._lease = timedelta(seconds=lease_seconds)
        self._lease_seconds = lease_seconds
        self._keep_seconds = keep_seconds
        self._on_change = on_change
        self._held: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._offers: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._stopping = False

    def holds(self, chat_key: int | None) -> bool:
        """Whether this worker holds the chat now."""
        return claims.claim_key(chat_key) in self._held

    def start(self) -> None:
        """Begin sweeping and renewing."""
        self._tasks = [
            asyncio.create_task(self._sweep_loop(), name="chat-sweeper"),
            asyncio.create_task(self._renew_loop(), name="chat-claims"),
        ]

    async def stop_taking(self) -> None:
        """Take no more chats or updates (a graceful stop, before the queue is drained)."""
        self._stopping = True
        sweeper = self._tasks[:1]
        for task in [*sweeper, *self._offers]:
            task.cancel()
        for task in [*sweeper, *self._offers]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def stop(self) -> None:
        """Stop taking chats and give up every claim (the others take them at once)."""
        self._stopping = True
        for task in [*self._tasks, *self._offers]:
            task.cancel()
        for task in [*self._tasks, *self._offers]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        held, self._held = set(self._held), {}
        try:
            await claims.release(self._db, self.worker)
        except Exception:
            logger.warning("Could not release %d chat claims; they expire", len(held))

    def route(self, chat_key: int | None) -> None:
        """A stored update of this chat arrived here: offer the chat in the background."""
        if self._stopping:
            return  # another worker's sweep takes it
        task = asyncio.create_task(self.offer(claims.claim_key(chat_key)))
        self._offers.add(task)
        task.add_done_callback(self._offers.discard)

    async def offer(self, chat: int) -> None:
        """Take the chat if free (or ours) and queue its stored updates not yet queued here."""
        # One offer of a chat at a time: the claim is taken once, rows are queued in order.
        lock = self._locks.setdefault(chat, asyncio.Lock())
        try:
            async with lock:
                loop = asyncio.get_running_loop()
                if chat not in self._held:
                    now = utcnow()
                    if not await claims.claim(self._db, chat, self.worker, now, now + self._lease):
                        return
                    self._on_change(chat)
                self._held[chat] = loop.time()
                for row in await claims.pending_of(self._db, chat):
                    await self._inbox.enqueue_stored(row)
        except Exception:
            logger.exception("Could not take chat %s; the next sweep tries again", chat)

    async def _sweep_loop(self) -> None:
        """Pick up stored updates of chats nobody holds, or ours received by other workers.

        A chat of ours with updates still in our pipeline is skipped: its next update, or the
        sweep after the pipeline drains, queues the rest in order.
        """
        while True:
            try:
                chats = await claims.waiting_chats(self._db, self.worker, utcnow(), SWEEP_BATCH)
                busy = {claims.claim_key(chat) for chat in self._inbox.queued.values()}
                for chat in chats:
                    if chat not in busy:
                        await self.offer(chat)
            except Exception:
                logger.warning("Could not look for waiting updates; retrying", exc_info=True)
            await asyncio.sleep(SWEEP_SECONDS)

    async def _renew_loop(self) -> None:
        """Renew our claims; forget the lost ones; give up chats idle for `keep_seconds`."""
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            try:
                await self._renew()
            except Exception:
                logger.warning("Could not renew chat claims; retrying", exc_info=True)

    async def _renew(self) -> None:
        """One round of renewing and releasing."""
        kept = await claims.renew(self._db, self.worker, utcnow() + self._lease)
        for chat in set(self._held) - kept:
            logger.warning("Lost chat %s to another worker (our claim ran out)", chat)
            del self._held[chat]
            self._on_change(chat)
        now = asyncio.get_running_loop().time()
        busy = {claims.claim_key(chat) for chat in self._inbox.queued.values()}
        idle = [
            chat
            for chat, last in self._held.items()
            if now - last > self._keep_seconds and chat not in busy
        ]
        if idle:
            await claims.release(self._db, self.worker, idle)
            for chat in idle:
                self._held.pop(chat, None)
        for chat, lock in list(self._locks.items()):
            if chat not in self._held and not lock.locked():
                del self._locks[chat]
