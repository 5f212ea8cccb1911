"""One process among several on one database: a leader, a hot standby, or a webhook worker.

Every process builds the same Application and opens the database. Then:

- **One leader**, elected through the database (bot/processes/leader_lock.py:
  `pg_try_advisory_lock` on a connection of its own on PostgreSQL, a file lock on SQLite).
  Only the leader long-polls (in polling mode), runs the schedules, drains the outbox (so one
  rate limit holds for all broadcasts), fetches the evidence backlog, and in webhook mode sets
  the webhook.
- **Standbys** try the lock every LEADER_CHECK_SECONDS; the leader checks its lock's
  connection as often. A leader that dies releases the lock with its session, and a standby
  takes over within a few seconds: it queues the updates the old leader stored but did not
  finish, and resends only the deliveries whose leases ran out. A leader whose check fails
  (its database connection is gone) stops polling and sending at once.
- **Webhook mode** (WEBHOOK_URL set): every process is also a worker receiving updates
  (bot/telegram/intake/webhook.py) and processing the chats it holds (bot/processes/chat_router.py).
- Every process watches the shared counters (bot/processes/leadership.py): a role change
  drops the identity cache everywhere, a schedule change makes the leader re-read them.

SIGTERM (or SIGINT) stops gracefully: no more polling or receiving, the sends in flight
finish and are recorded, the updates already queued are processed, the chat claims and the
leader lock are released, so a standby takes over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy import text

from bot.processes.chat_router import ChatRouter
from bot.processes.leader_lock import LeaderLock, leader_lock_for
from bot.processes.leadership import SyncWatcher
from bot.services.common.sync import IDENTITIES, SCHEDULES
from bot.telegram.context import BotApplication
from bot.telegram.intake.polling import Poller
from bot.telegram.intake.updates import ALLOWED_UPDATES
from scheduler.jobs import sync_all, unregister_all

if TYPE_CHECKING:  # aiohttp's server (~8 MB) loads only in webhook mode
    from bot.telegram.intake.webhook import WebhookReceiver

logger = logging.getLogger(__name__)


class Runtime:
    """Leadership and the duties that come with it, for one Application (see the module)."""

    def __init__(
        self,
        application: BotApplication,
        *,
        elect: bool = True,
        poll_timeout: float = 10,
        lock: LeaderLock | None = None,
    ) -> None:
        """Prepare; `start` begins (the Application must be initialised and started)."""
        self.application = application
        deps = application.bot_data
        self.settings = deps.settings
        self.elect = elect
        self.poll_timeout = poll_timeout
        self.lock = lock or leader_lock_for(
            self.settings.database_url, timeout=max(2.0, 3 * self.settings.leader_check_seconds)
        )
        self.poller = Poller(
            application.bot,
            deps.inbox,
            timeout=poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
        )
        self.router: ChatRouter | None = None
        self.receiver: WebhookReceiver | None = None
        self._watcher: SyncWatcher | None = None
        self._election: asyncio.Task[None] | None = None
        self._transition = asyncio.Lock()
        self.terms = 0
        # The `schedules` counter the leader's jobs were last synced at.
        self._schedules_synced = 0

    @property
    def leading(self) -> bool:
        """Whether this process leads now."""
        return self.application.bot_data.leadership.leading

    @property
    def webhook_mode(self) -> bool:
        """Whether updates come by webhook (every process receives)."""
        return self.settings.webhook_mode

    async def start(self) -> None:
        """Wire the shared state, start receiving (webhook), then lead or stand by."""
        deps = self.application.bot_data
        self._watcher = SyncWatcher(
            deps.db,
            self.settings.leader_check_seconds,
            {IDENTITIES: self._identities_changed, SCHEDULES: self._schedules_changed},
        )
        await self._watcher.look()
        self._watcher.start()
        if self.webhook_mode:
            await self._start_receiving()
        if self.elect:
            self._election = asyncio.create_task(self._elect(), name="leader-election")
        else:
            await self._lead()

    async def _start_receiving(self) -> None:
        """Every webhook worker: claim chats, and listen for Telegram's posts."""
        from bot.telegram.intake.webhook import WebhookReceiver

        deps = self.application.bot_data
        self.router = ChatRouter(
            deps.db,
            deps.inbox,
            deps.leadership.worker,
            lease_seconds=self.settings.lease_seconds,
            keep_seconds=float(self.settings.conversation_timeout_seconds),
            on_change=deps.shared_state.forget,
        )
        deps.inbox.route = self.router.route
        deps.leadership.chats = self.router
        self.router.start()
        secret = self.settings.webhook_secret
        assert secret is not None
        self.receiver = WebhookReceiver(
            self.application.bot,
            deps.inbox,
            path=self.settings.webhook_path,
            secret=secret.get_secret_value(),
            listen=self.settings.listen_address,
            database_ready=self._database_ready,
            describe=lambda: {"leader": self.leading, "worker": deps.leadership.worker},
        )
        await self.receiver.start()

    async def _elect(self) -> None:
        """Try to lead while standing by; check the lock while leading."""
        interval = self.settings.leader_check_seconds
        standing_by = False
        while True:
            try:
                if not self.leading:
                    if await self.lock.try_acquire():
                        standing_by = False
                        await self._lead()
                    elif not standing_by:
                        standing_by = True
                        logger.info("Standing by: another process leads")
                elif not await self.lock.check():
                    logger.error("Lost the database connection that holds the leadership")
                    await self._step_down(abort=True)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Leadership step failed; standing by")
                await self._step_down(abort=True)
                await self.lock.release()
            await asyncio.sleep(interval)

    async def _lead(self) -> None:
        """Take over the leader's duties."""
        async with self._transition:
            if self.leading:
                return
            deps = self.application.bot_data
            deps.leadership.leading = True
            self.terms += 1
            # Worth a warning where processes are elected; the only process (demo, playground,
            # tests) simply starts as the leader.
            level = logging.WARNING if self.elect else logging.INFO
            logger.log(level, "This process (%s) is now the leader", deps.leadership.worker)
            try:
                self._schedules_synced = await sync_all(self.application)
                deps.outbox.start()
                deps.evidence.start()
                if not self.webhook_mode:
                    # Everyone's drafts may have changed under another leader: read again.
                    deps.shared_state.forget_all()
                    await deps.inbox.recover()
                    self.poller.start()
                else:
                    await self._set_webhook()
            except BaseException:
                deps.leadership.leading = False
                await self._stop_duties(abort=True)
                raise

    async def _set_webhook(self) -> None:
        """Point Telegram at WEBHOOK_URL with the secret (each new leader, once)."""
        secret = self.settings.webhook_secret
        assert secret is not None
        await self.application.bot.set_webhook(
            url=self.settings.webhook_url,
            secret_token=secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        logger.info("Webhook set to %s", self.settings.webhook_url)

    async def _step_down(self, *, abort: bool) -> None:
        """Stop the leader's duties (`abort`: at once, the leadership is in doubt)."""
        async with self._transition:
            if not self.leading:
                return
            self.application.bot_data.leadership.leading = False
            await self._stop_duties(abort=abort)
            logger.warning("This process stopped leading")

    async def _stop_duties(self, *, abort: bool) -> None:
        """Polling, schedules, outbox, evidence backlog: each stopped even if one fails."""
        deps = self.application.bot_data
        unregister_all(self.application)
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("polling", self.poller.stop),
            ("outbox", lambda: deps.outbox.stop(abort=abort)),
            ("evidence", deps.evidence.stop),
        ]
        for name, step in steps:
            try:
                await step()
            except Exception:
                logger.exception("Could not stop the %s cleanly", name)

    async def _identities_changed(self, version: int) -> None:
        """Someone's role, unit or language changed (maybe in another process)."""
        self.application.bot_data.identities.forget()

    async def _schedules_changed(self, version: int) -> None:
        """A schedule changed (maybe on another worker): the leader re-registers them.

        Not when its last sync already read that version: creating the default schedules
        at the start moves the counter, and syncing again for it would only repeat the work.
        """
        # One sync at a time: one overlapping the start's could drop a job the other just set.
        async with self._transition:
            if self.leading and version > self._schedules_synced:
                self._schedules_synced = await sync_all(self.application)

    async def _database_ready(self) -> bool:
        """Whether the database answers a query."""
        async with self.application.bot_data.db.read() as session:
            await session.execute(text("SELECT 1"))
        return True

    async def stop(self) -> None:
        """Stop gracefully (see the module); the Application is stopped here too."""
        if self._election is not None:
            self._election.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._election
            self._election = None
        deps = self.application.bot_data
        if self.receiver is not None:
            await self.receiver.stop()
        await self.poller.stop()
        # The sends in flight finish and are recorded; the queued updates are processed
        # (this process still counts as the one responsible for them until they are).
        await self._stop_duties(abort=False)
        # Nothing may be queued once PTB drains its queue (its stop would wait for it
        # forever): updates stored from now on wait for another worker or the next start.
        deps.inbox.close()
        if self.router is not None:
            await self.router.stop_taking()
        if self.application.running:
            await self.application.stop()
        await deps.inbox.stop()
        if self.router is not None:
            await self.router.stop()
        deps.leadership.leading = False
        await self.lock.release()
        if self._watcher is not None:
            await self._watcher.stop()


@asynccontextmanager
async def running(
    application: BotApplication,
    *,
    elect: bool,
    poll_timeout: float = 10,
    lock: LeaderLock | None = None,
) -> AsyncIterator[Runtime]:
    """Run the application inside the current event loop until the block ends."""
    async with application:
        assert application.post_init is not None and application.post_shutdown is not None
        await application.post_init(application)
        runtime = Runtime(application, elect=elect, poll_timeout=poll_timeout, lock=lock)
        try:
            await application.start()
            await runtime.start()
            yield runtime
        finally:
            try:
                await runtime.stop()
            finally:
                await application.post_shutdown(application)


# A graceful stop takes seconds; past this, the log says what it is still waiting for.
SLOW_STOP_SECONDS = 30.0


def pending_awaits() -> str:
    """Where every other task of the loop is waiting, as stack lines (no values, no secrets)."""
    report = io.StringIO()
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            task.print_stack(limit=6, file=report)
    return report.getvalue()


async def report_a_slow_stop(seconds: float) -> None:
    """After `seconds`, log what the stop still waits for: a hang then names its await."""
    await asyncio.sleep(seconds)
    logger.error("Still stopping after %.0f s; waiting in:\n%s", seconds, pending_awaits())


async def serve(application: BotApplication) -> None:
    """`binhdan run`: lead or stand by until SIGTERM or SIGINT, then stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watchdog: asyncio.Task[None] | None = None
    try:
        async with running(application, elect=True):
            await stop.wait()
            logger.warning("Stopping: finishing the sends and updates in flight")
            watchdog = asyncio.create_task(report_a_slow_stop(SLOW_STOP_SECONDS))
    finally:
        if watchdog is not None:
            watchdog.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
