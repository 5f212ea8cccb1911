"""The dispatcher: drains the outbox through the shared rate limiter, and reports progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import texts
from bot.formatting import escape
from bot.keyboards import ack_keyboard, report_button
from bot.ratelimit import retry_seconds
from bot.services.directive_render import DirectiveContent, Rendered, render_directive
from bot.services.directives import blocked_names, delivery_counts, unit_ack_status
from bot.services.outbox import (
    Claimed,
    Outcome,
    Result,
    claim_due,
    mark_finished,
    record_results,
    recover_inflight,
    save_progress_part,
    unfinished,
)
from bot.settings import Settings
from models import DeliveryStatus, Directive, MessageKind
from models.base import utcnow

logger = logging.getLogger(__name__)

UNACKED_PREFIX = "dirinfo:unacked:"
FLUSH_SECONDS = 0.2
PROGRESS_SECONDS = 2.0
RENDER_CACHE = 32


def content_of(directive: Directive) -> DirectiveContent:
    """The renderable fields of a stored directive."""
    return DirectiveContent(
        kind=directive.kind.value,
        subject=directive.subject,
        body=directive.body,
        number=directive.number,
        issued_on=directive.issued_on,
        deadline=directive.deadline,
        document_file_id=directive.document_file_id,
        document_name=directive.document_name,
    )


async def send_rendered(
    bot: Bot,
    chat_id: int,
    rendered: Rendered,
    markup: InlineKeyboardMarkup | None,
    start: int = 0,
    on_part: Callable[[int], Awaitable[None]] | None = None,
) -> Message | None:
    """Send the document (if any) and the text parts from step `start`; the last gets `markup`."""
    steps: list[tuple[str, str]] = []
    if rendered.document_file_id:
        steps.append(("document", rendered.document_file_id))
    steps += [("text", part) for part in rendered.parts]
    message = None
    for index in range(start, len(steps)):
        kind, payload = steps[index]
        last = index == len(steps) - 1
        if kind == "document":
            message = await bot.send_document(
                chat_id, payload, caption=rendered.caption, reply_markup=markup if last else None
            )
        else:
            message = await bot.send_message(
                chat_id,
                payload,
                reply_markup=markup if last else None,
                disable_web_page_preview=True,
            )
        if not last and on_part is not None:
            await on_part(index + 1)
    return message


class OutboxDispatcher:
    """Sends pending deliveries with bounded concurrency; survives restarts through the rows."""

    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        poll_seconds: float = 2.0,
    ) -> None:
        """Prepare; `start` launches the loop."""
        self._bot = bot
        self._factory = session_factory
        self._settings = settings
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._results: list[Result] = []
        self._rendered: OrderedDict[int, tuple[Rendered, InlineKeyboardMarkup | None]] = (
            OrderedDict()
        )
        self._last_progress: dict[int, float] = {}

    def start(self) -> None:
        """Launch the dispatcher loop."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    def wake(self) -> None:
        """New rows were queued: look now instead of at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Finish the sends in flight, record them, and stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        """Claim due rows while there is room, and spawn one task per delivery."""
        async with self._factory.begin() as session:
            recovered = await recover_inflight(session)
        if recovered:
            logger.warning(
                "Resending %d deliveries that were in flight at the last stop", recovered
            )
        flusher = asyncio.create_task(self._flush_loop())
        try:
            while not self._stopping:
                await self._fill()
        finally:
            if self._inflight:
                await asyncio.wait(self._inflight)
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await self._flush()

    async def _fill(self) -> None:
        """Top up the tasks in flight, or wait for work."""
        room = self._settings.send_concurrency - len(self._inflight)
        if room <= 0:
            await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
            return
        try:
            async with self._factory.begin() as session:
                claimed = await claim_due(session, utcnow(), room)
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

    async def _render(self, directive_id: int) -> tuple[Rendered, InlineKeyboardMarkup | None]:
        """The rendered message and its button, cached (a broadcast repeats the same text)."""
        cached = self._rendered.get(directive_id)
        if cached is None:
            async with self._factory() as session:
                directive = await session.get(Directive, directive_id)
            assert directive is not None
            rendered = render_directive(
                content_of(directive), self._settings.commune_name, self._settings.course_url
            )
            # Directives are acknowledged; reminders and chases ask for a report; digests
            # for officers carry no button.
            markup: InlineKeyboardMarkup | None = None
            if directive.kind == MessageKind.DIRECTIVE:
                markup = ack_keyboard(directive_id)
            elif directive.kind in (MessageKind.REMINDER, MessageKind.CHASE):
                markup = report_button()
            cached = self._rendered[directive_id] = (rendered, markup)
            while len(self._rendered) > RENDER_CACHE:
                self._rendered.popitem(last=False)
        return cached

    async def _deliver(self, row: Claimed) -> None:
        """Send one delivery and queue its outcome for the next flush."""
        try:
            rendered, markup = await self._render(row.directive_id)

            async def remember_part(parts_sent: int) -> None:
                async with self._factory.begin() as session:
                    await save_progress_part(session, row.id, parts_sent)

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
        except Exception as error:
            logger.exception("Unexpected error delivering %s", row.id)
            result = Result(row, Outcome.RETRY, error=repr(error))
        self._results.append(result)

    async def _flush_loop(self) -> None:
        """Record outcomes every FLUSH_SECONDS, so a crash repeats as little as possible."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self._flush()

    async def _flush(self) -> None:
        """Write the queued outcomes in one transaction, then update progress messages."""
        results, self._results = self._results, []
        if not results:
            return
        try:
            async with self._factory.begin() as session:
                touched = await record_results(
                    session,
                    results,
                    utcnow(),
                    max_attempts=self._settings.send_max_attempts,
                    retry_base=self._settings.send_retry_base_seconds,
                )
        except Exception:
            logger.exception("Could not record %d outcomes; they stay 'sending'", len(results))
            return
        if any(r.outcome == Outcome.RETRY for r in results):
            self.wake()
        with contextlib.suppress(Exception):
            await self._report_progress(touched)

    async def _report_progress(self, directive_ids: set[int]) -> None:
        """Edit each sender's progress message; the last edit becomes the summary."""
        async with self._factory() as session:
            still_running = await unfinished(session, list(directive_ids))
        for directive_id in directive_ids:
            if directive_id in still_running:
                await self._edit_progress(directive_id)
            else:
                await self._finish(directive_id)

    async def _edit_progress(self, directive_id: int) -> None:
        """Show "Đang gửi 120/245…", at most every PROGRESS_SECONDS."""
        now = time.monotonic()
        if now - self._last_progress.get(directive_id, 0.0) < PROGRESS_SECONDS:
            return
        self._last_progress[directive_id] = now
        async with self._factory() as session:
            directive = await session.get(Directive, directive_id)
            counts = await delivery_counts(session, directive_id)
        if directive is None or directive.progress_chat_id is None:
            return
        done = (
            sum(counts.values()) - counts[DeliveryStatus.PENDING] - counts[DeliveryStatus.SENDING]
        )
        await self._edit(directive, texts.sending_progress(done, sum(counts.values())), None)

    async def _finish(self, directive_id: int) -> None:
        """Mark the directive finished once and turn its progress message into the summary."""
        self._last_progress.pop(directive_id, None)
        async with self._factory.begin() as session:
            first = await mark_finished(session, directive_id, utcnow())
            directive = await session.get(Directive, directive_id)
            counts = await delivery_counts(session, directive_id)
            names = await blocked_names(session, directive_id)
            acked, waiting = await unit_ack_status(session, directive_id)
        if not first or directive is None or directive.progress_chat_id is None:
            return
        summary = texts.delivery_summary(
            escape(directive.subject or texts.DEFAULT_SUBJECT),
            counts[DeliveryStatus.SENT],
            counts[DeliveryStatus.FAILED],
            counts[DeliveryStatus.BLOCKED],
            [escape(n) for n in names],
            len(acked),
            len(acked) + len(waiting),
        )
        button = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        texts.BUTTON_UNACKED, callback_data=f"{UNACKED_PREFIX}{directive_id}"
                    )
                ]
            ]
        )
        await self._edit(directive, summary, button)

    async def _edit(
        self, directive: Directive, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Edit the progress message; "not modified" and vanished messages are fine."""
        assert directive.progress_chat_id is not None and directive.progress_message_id is not None
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=directive.progress_chat_id,
                message_id=directive.progress_message_id,
                reply_markup=markup,
            )
        except TelegramError as error:
            logger.info("Progress edit skipped: %s", error.message)
