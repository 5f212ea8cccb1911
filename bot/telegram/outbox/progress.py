"""The sender's view of a broadcast: one message edited in place, ending as the summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.services.broadcasts.directives import (
    BroadcastSummary,
    BroadcastView,
    Undelivered,
    broadcast_summary,
    broadcast_view,
    finish_broadcast,
)
from bot.services.broadcasts.outbox import still_running
from bot.telegram.ui.callbacks import Action, build
from bot.telegram.ui.keyboards import buttons
from bot.texts import Html, Translator, translator
from bot.texts.directives import subject_of
from models import DeliveryStatus
from models.base import utcnow
from models.db import Database

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 2.0


def summary_text(t: Translator, summary: BroadcastSummary) -> Html:
    """The final "✅ Đã gửi xong": counts, who blocked the bot, acknowledgements."""
    counts = summary.view.counts
    blocked = [
        t("broadcast.blocked_person", name=name or t.plain("broadcast.no_name"), unit=unit or "—")
        for name, unit in summary.blocked
    ]
    unreached = (
        Html("\n" + t("broadcast.unreached", units=summary.unreached_units))
        if summary.unreached_units
        else Html("")
    )
    return t(
        "broadcast.summary",
        unreached=Html(unreached + _by_commune(t, summary)),
        subject=subject_of(t, summary.view.kind, summary.view.subject),
        sent=counts[DeliveryStatus.SENT],
        failed=counts[DeliveryStatus.FAILED],
        blocked=counts[DeliveryStatus.BLOCKED],
        blocked_people=Html(("\n  " + ", ".join(blocked)) if blocked else ""),
        acknowledged=summary.acknowledged_units,
        units=summary.units,
    )


# The summary is one message: past these, the communes left are counted, not named.
COMMUNES_NAMED = 15


def _by_commune(t: Translator, summary: BroadcastSummary) -> Html:
    """A province's directive: each commune's units acknowledged, the least first."""
    if not summary.by_commune:
        return Html("")
    lines = [
        t("broadcast.commune_acks", commune=name, acknowledged=done, units=total)
        for name, done, total in summary.by_commune[:COMMUNES_NAMED]
    ]
    more = len(summary.by_commune) - COMMUNES_NAMED
    if more > 0:
        lines.append(t("broadcast.more_communes", count=more))
    return Html("\n" + "\n".join(lines))


class ProgressPresenter:
    """Edits each sender's progress message at most every PROGRESS_SECONDS, then the summary."""

    def __init__(self, bot: Bot, db: Database) -> None:
        """Remember where to read and whom to tell."""
        self._bot = bot
        self._db = db
        self._last: dict[int, float] = {}

    async def report(self, directive_ids: Iterable[int]) -> None:
        """Update the progress of the broadcasts that just had outcomes recorded."""
        ids = list(directive_ids)
        running = await still_running(self._db, ids)
        for directive_id in ids:
            if directive_id in running:
                await self._progress(directive_id)
            else:
                await self._finish(directive_id)

    async def _progress(self, directive_id: int) -> None:
        """Show "Đang gửi 120/245…"."""
        now = time.monotonic()
        if now - self._last.get(directive_id, 0.0) < PROGRESS_SECONDS:
            return
        self._last[directive_id] = now
        view = await broadcast_view(self._db, directive_id)
        if view is not None:
            t = translator(view.language)
            await self._edit(view, t("broadcast.progress", done=view.done, total=view.total))

    async def _finish(self, directive_id: int) -> None:
        """Turn the progress message into the summary, once."""
        self._last.pop(directive_id, None)
        summary = await finish_broadcast(self._db, directive_id, utcnow())
        if summary is None:
            return
        if isinstance(summary, Undelivered):
            await self._tell_undelivered(summary)
            return
        t = translator(summary.view.language)
        await self._edit(summary.view, summary_text(t, summary), _unacked(t, directive_id))

    async def _tell_undelivered(self, answer: Undelivered) -> None:
        """Tell an officer their answer reached nobody (best effort)."""
        t = translator(answer.language)
        try:
            await self._bot.send_message(
                answer.chat_id, t("thread.undelivered", unit=answer.unit_name)
            )
        except TelegramError as error:
            logger.info("Could not tell %s of an undelivered answer: %s", answer.chat_id, error)

    async def _edit(
        self, view: BroadcastView, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Edit the progress message; "not modified" and vanished messages are fine."""
        await _edit_view(self._bot, view, text, markup)


def _unacked(t: Translator, directive_id: int) -> InlineKeyboardMarkup:
    """The summary's "Chưa xác nhận" button."""
    return buttons([(t("button.unacknowledged"), build(Action.DIRECTIVE_UNACKED, directive_id))])


async def _edit_view(
    bot: Bot, view: BroadcastView, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the sender's progress message; "not modified" and vanished messages are fine."""
    try:
        await bot.edit_message_text(
            text, chat_id=view.chat_id, message_id=view.message_id, reply_markup=markup
        )
    except TelegramError as error:
        logger.info("Progress edit skipped: %s", error.message)


async def refresh_summary(bot: Bot, db: Database, directive_id: int) -> None:
    """Show a finished broadcast's acknowledgements as they are now, in its summary."""
    summary = await broadcast_summary(db, directive_id)
    if summary is None:
        return
    t = translator(summary.view.language)
    await _edit_view(bot, summary.view, summary_text(t, summary), _unacked(t, directive_id))
