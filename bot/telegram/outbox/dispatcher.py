"""The dispatcher: drains the outbox through the shared rate limiter; survives restarts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.ledger import SenderLedger
from bot.services.broadcasts.outbox import Claimed, Outcome, Result
from bot.settings import Settings
from bot.telegram.outbox.progress import ProgressPresenter
from bot.telegram.outbox.ratelimit import retry_seconds
from bot.telegram.outbox.sending import send_rendered
from bot.telegram.ui.keyboards import ack_keyboard, report_button, with_extra_buttons
from bot.texts import translator
from bot.texts.directives import Rendered, names_the_unit, render_directive
from models import MessageKind
from models.db import Database

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.2
RENDER_CACHE = 64
# Recording outcomes is retried until it succeeds; the wait doubles up to this.
MAX_FLUSH_BACKOFF_SECONDS = 30.0
# At shutdown the last outcomes are retried this long before the next start must resend them.
STOP_FLUSH_SECONDS = 30.0


class OutboxDispatcher:
    """Sends pending deliveries with bounded concurrency; the rows are the memory.

    Only the leader runs one. Rows are claimed under `worker`'s name with a lease of
    LEASE_SECONDS, renewed while they are sent; rows whose lease ran out (a sender that died)
    are taken back every lease period. Nothing is reset at start, so a process joining (or
    restarting) never resends what another one is sending.
    """

    def __init__(
        self,
        bot: Bot,
        db: Database,
        settings: Settings,
        *,
        worker: str = "single",
        poll_seconds: float = 2.0,
    ) -> None:
        """Prepare; `start` launches the loop."""
        self._bot = bot
        self._settings = settings
        self._process = worker
        self._term = 0
        self._ledger = SenderLedger(db, worker, timedelta(seconds=settings.lease_seconds))
        self._poll_seconds = poll_seconds
        self._aborting = False
        self._next_recovery = 0.0
        self._next_renewal = 0.0
        self._wake = asyncio.Event()
        self._flusher_done = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._results: list[Result] = []
        self._contents: OrderedDict[int, tuple[DirectiveContent, MessageKind]] = OrderedDict()
        self._rendered: OrderedDict[
            tuple[int, str | None, str | None], tuple[Rendered, InlineKeyboardMarkup | None]
        ] = OrderedDict()
        self._progress = ProgressPresenter(bot, db)
        self._flush_failures = 0

    @property
    def worker(self) -> str:
        """The name this run claims rows under."""
        return self._ledger.worker

    def start(self) -> None:
        """Launch the dispatcher loop.

        Each start (each time this process becomes the leader) claims under a new name, so
        rows an earlier, aborted run of this process left are taken back like anyone's.
        """
        self._term += 1
        self._ledger.worker = f"{self._process}/{self._term}"
        self._stopping = False
        self._aborting = False
        self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    @property
    def running(self) -> bool:
        """Whether the loop runs (this process leads)."""
        return self._task is not None

    def wake(self) -> None:
        """New rows were queued: look now instead of at the next poll."""
        self._wake.set()

    async def stop(self, *, abort: bool = False) -> None:
        """Finish the sends in flight, record them, and stop.

        `abort` (the process stopped leading, e.g. it lost the database): sends not yet made
        are cancelled at once and outcomes are tried once; the new leader takes the rows back
        when their leases run out.
        """
        self._stopping = True
        self._aborting = abort
        self._wake.set()
        if abort:
            for task in list(self._inflight):
                task.cancel()
        if self._task is not None:
            await self._task
            self._task = None

    async def _recover(self) -> None:
        """Every lease period: take back rows whose sender's lease ran out."""
        now = asyncio.get_running_loop().time()
        if now < self._next_recovery:
            return
        self._next_recovery = now + self._settings.lease_seconds / 2
        try:
            recovered = await self._ledger.take_back_expired()
        except Exception:
            logger.exception("Could not take back expired deliveries; retrying later")
            return
        if recovered:
            logger.warning("Resending %d deliveries whose sender stopped mid-send", recovered)

    async def _renew(self) -> None:
        """Keep the leases of the rows in flight (and of outcomes not yet written) alive."""
        now = asyncio.get_running_loop().time()
        if now < self._next_renewal or not (self._inflight or self._results):
            return
        self._next_renewal = now + self._settings.lease_seconds / 3
        try:
            await self._ledger.renew()
        except Exception:
            logger.warning("Could not renew delivery leases; retrying", exc_info=True)

    async def _run(self) -> None:
        """Claim due rows while there is room, and spawn one task per delivery."""
        self._next_recovery = 0.0
        self._flusher_done.clear()
        flusher = asyncio.create_task(self._flush_loop())
        try:
            while not self._stopping:
                await self._recover()
                await self._fill()
        finally:
            if self._inflight:
                await asyncio.wait(self._inflight)
            # Never cancel a flush halfway: the outcomes it holds would be lost and re-sent.
            self._flusher_done.set()
            await flusher
            if self._aborting:
                await self._flush()
            else:
                await self._final_flush()

    async def _fill(self) -> None:
        """Top up the tasks in flight, or wait for work."""
        room = self._settings.send_concurrency - len(self._inflight)
        if room <= 0:
            await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
            return
        try:
            claimed = await self._ledger.claim(room)
        except Exception:
            logger.exception("Could not claim deliveries; retrying shortly")
            claimed = []
        if not claimed:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
            return
        for row in claimed:
            task = asyncio.create_task(self._deliver(row))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _content(self, directive_id: int) -> tuple[DirectiveContent, MessageKind]:
        """A directive's content, read once per broadcast."""
        cached = self._contents.get(directive_id)
        if cached is None:
            cached = self._contents[directive_id] = await self._ledger.content(directive_id)
            while len(self._contents) > RENDER_CACHE:
                self._contents.popitem(last=False)
        return cached

    async def _render(
        self, directive_id: int, language: str | None, unit: str | None = None
    ) -> tuple[Rendered, InlineKeyboardMarkup | None]:
        """The message and its button per language (and per unit when it names it), cached."""
        content, kind = await self._content(directive_id)
        key = (directive_id, language, unit if names_the_unit(content) else None)
        cached = self._rendered.get(key)
        if cached is None:
            t = translator(language)
            rendered = render_directive(
                content,
                t,
                content.issuer or self._settings.commune_name,
                self._settings.course_url,
                key[2],
                province=self._settings.province_name if content.provincial else None,
            )
            # Directives, good models and commendation lists are acknowledged (and, with a
            # deadline, reported on); reminders and chases ask for a report; digests and
            # notices carry no button of their own.
            markup: InlineKeyboardMarkup | None = None
            if kind.acknowledged:
                markup = ack_keyboard(t, directive_id, asks_report=content.deadline is not None)
            elif kind in (MessageKind.REMINDER, MessageKind.CHASE):
                markup = report_button(t)
            markup = with_extra_buttons(markup, content.buttons, t)
            cached = self._rendered[key] = (rendered, markup)
            while len(self._rendered) > RENDER_CACHE:
                self._rendered.popitem(last=False)
        return cached

    async def _deliver(self, row: Claimed) -> None:
        """Send one delivery and queue its outcome for the next flush."""
        try:
            rendered, markup = await self._render(row.directive_id, row.language, row.unit_name)

            async def remember_part(parts_sent: int) -> None:
                await self._ledger.save_part(row.id, parts_sent)

            message = await send_rendered(
                self._bot,
                row.chat_id,
                rendered,
                markup,
                start=row.parts_sent,
                on_part=remember_part,
            )
            result = Result(row, Outcome.SENT, message.message_id if message else None)
        except Forbidden as error:
            result = Result(row, Outcome.BLOCKED, error=error.message)
        except BadRequest as error:
            result = Result(row, Outcome.FAILED, error=error.message)
        except RetryAfter as error:
            result = Result(
                row,
                Outcome.RETRY,
                error=error.message,
                retry_after=retry_seconds(error.retry_after),
            )
        except NetworkError as error:
            result = Result(row, Outcome.RETRY, error=error.message)
        except TelegramError as error:
            result = Result(row, Outcome.FAILED, error=error.message)
        except asyncio.CancelledError:
            # Stopped leading mid-send: whether it went out is unknown; the lease decides.
            raise
        except Exception as error:
            logger.exception("Unexpected error delivering %s", row.id)
            result = Result(row, Outcome.RETRY, error=repr(error))
        self._results.append(result)

    async def _flush_loop(self) -> None:
        """Record outcomes every FLUSH_SECONDS, so a crash repeats as little as possible.

        A failed write (the database locked past its busy timeout) keeps the outcomes and
        tries again after 0.4, 0.8 … 30 s: they are never dropped, and the deliveries stay
        "sending" meanwhile, which this process never claims again (no resend).
        """
        while not self._flusher_done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flusher_done.wait(), self._flush_wait())
            await self._renew()
            await self._flush()

    def _flush_wait(self) -> float:
        """The pause before the next flush: short, or backing off after failures."""
        if not self._flush_failures:
            return FLUSH_SECONDS
        # Never so long that the leases of the rows waiting for their outcome run out.
        ceiling = min(MAX_FLUSH_BACKOFF_SECONDS, self._settings.lease_seconds / 3)
        return min(FLUSH_SECONDS * 2.0**self._flush_failures, ceiling)

    async def _final_flush(self) -> None:
        """At stop: keep trying for a while; what is left goes back to pending at next start."""
        deadline = asyncio.get_running_loop().time() + STOP_FLUSH_SECONDS
        for _ in range(1000):
            if await self._flush() or asyncio.get_running_loop().time() >= deadline:
                return
            await asyncio.sleep(self._flush_wait())

    async def _flush(self) -> bool:
        """Write the queued outcomes in one transaction, then update progress messages.

        Return False when the write failed (the outcomes are kept for the next try).
        """
        results, self._results = self._results, []
        if not results:
            return True
        try:
            recorded = await self._ledger.record(
                results,
                max_attempts=self._settings.send_max_attempts,
                retry_base=self._settings.send_retry_base_seconds,
            )
        except Exception as error:
            self._results[:0] = results
            self._flush_failures += 1
            logger.warning(
                "Could not record %d outcomes (%s); retrying in %.1f s",
                len(results),
                type(error).__name__,
                self._flush_wait(),
            )
            return False
        if self._flush_failures:
            logger.warning(
                "Recorded %d outcomes after %d failed tries", len(results), self._flush_failures
            )
            self._flush_failures = 0
        if recorded.lost:
            logger.warning(
                "%d outcomes dropped: their leases ran out and another sender took them",
                recorded.lost,
            )
        if any(r.outcome == Outcome.RETRY for r in results):
            self.wake()
        try:
            await self._progress.report(recorded.directives)
        except Exception:
            logger.exception("Could not update broadcast progress")
        return True
