"""Fetching evidence files through the Bot API into EVIDENCE_DIR (after the row is written)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from bot.services.reports.evidence import (
    EvidenceFile,
    files_to_fetch,
    mark_failed,
    mark_stored,
    mark_too_large,
)
from bot.settings import Settings
from bot.texts import translator
from models.base import utcnow
from models.db import Database

logger = logging.getLogger(__name__)
# A folder that refuses files is told to the admins at most this often (it stays full a while).
ALERT_HOURS = 6


def _write(path: Path, content: bytes) -> None:
    """Write a file whole or not at all: a temporary name first, then an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        partial.write_bytes(content)
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)  # a full disk must not keep half a file either
        raise


class EvidenceKeeper:
    """Downloads evidence files, each at most EVIDENCE_MAX_MB; a restart finishes the rest."""

    def __init__(self, bot: Bot, db: Database, settings: Settings) -> None:
        """Prepare; `start` fetches what an earlier run left undone."""
        self._bot = bot
        self._db = db
        self._folder = settings.evidence_path
        self._limit = settings.evidence_max_bytes
        self._admins = settings.admin_ids
        self._alerted_at = float("-inf")
        self._backlog: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Fetch, in the background, the files whose rows are still pending."""
        self._backlog = asyncio.create_task(self._fetch_backlog(), name="evidence-backlog")

    async def stop(self) -> None:
        """Stop the background fetching (pending rows wait for the next start)."""
        if self._backlog is not None:
            self._backlog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backlog
            self._backlog = None

    async def _fetch_backlog(self) -> None:
        """Files received before a restart that were not downloaded yet."""
        try:
            for item in await files_to_fetch(self._db):
                await self.fetch(item)
        except Exception:
            logger.exception("Could not fetch the evidence backlog")

    async def fetch(self, item: EvidenceFile) -> None:
        """Download one file into the evidence folder and record the outcome; never raises."""
        try:
            await self._fetch(item)
        except TelegramError:
            logger.warning("Could not download evidence %s", item.evidence_id, exc_info=True)
            await mark_failed(self._db, item.evidence_id)
        except OSError as error:
            # The row stays pending: the next start fetches it again, once there is room.
            logger.error("Could not write evidence %s: %s", item.evidence_id, error)
            await self._alert(error)

    async def _alert(self, error: OSError) -> None:
        """Tell the admins the folder refuses files (full, read-only), once per ALERT_HOURS."""
        now = time.monotonic()
        if now - self._alerted_at < ALERT_HOURS * 3600:
            return
        self._alerted_at = now
        t = translator()  # the admins read the commune's language
        reason = error.strerror or str(error)
        text = t("evidence.disk_problem", folder=str(self._folder), reason=reason)
        for admin in self._admins:
            try:
                await self._bot.send_message(admin, text)
            except TelegramError:
                logger.warning("Could not tell admin %s about the evidence folder", admin)

    async def _fetch(self, item: EvidenceFile) -> None:
        """getFile, check the size, download, write."""
        if item.file_size is not None and item.file_size > self._limit:
            await mark_too_large(self._db, item.evidence_id)
            return
        remote = await self._bot.get_file(item.file_id)
        if remote.file_size is not None and remote.file_size > self._limit:
            await mark_too_large(self._db, item.evidence_id)
            return
        content = bytes(await remote.download_as_bytearray())
        if len(content) > self._limit:
            await mark_too_large(self._db, item.evidence_id)
            return
        await asyncio.to_thread(_write, self._folder / item.stored_path, content)
        await mark_stored(self._db, item.evidence_id, len(content), utcnow())
