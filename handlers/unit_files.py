"""A unit list sent to the bot as a document: a preview first, then ✅ Nhập or ❌ Hủy (issue 23).

The same CSV and XLSX files `binhdan units import` takes. Nothing changes before ✅ Nhập, and
the file is read again then: the import is exactly the file previewed (its digest must match),
all or nothing, audited. A file from anyone but an admin is evidence as before.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import PurePath

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.services.registry.unit_import import (
    UnitFileError,
    UnitRow,
    check_size,
    parse_unit_table,
    read_table_bytes,
)
from bot.services.registry.units import import_rows, preview_rows
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.drafts import UnitFileDraft
from bot.telegram.ui.callbacks import Action, args_of, build, pattern
from bot.telegram.ui.keyboards import buttons
from bot.telegram.ui.permissions import command_allowed
from bot.texts.units import preview_text, unit_file_problems
from handlers.chat import keep_evidence
from handlers.common import callback_data, message_of, reply
from handlers.units import settle

# What a unit list looks like; any other document is evidence.
UNIT_FILES = filters.Document.FileExtension("csv") | filters.Document.FileExtension("xlsx")
DIGEST = r"[0-9a-f]{16}"


async def _read(
    context: BotContext, file_id: str, file_name: str, size: int | None = None
) -> tuple[list[UnitRow], str]:
    """Download and parse the file: its rows and its digest, or UnitFileError."""
    check_size(size or 0)
    remote = await context.bot.get_file(file_id)
    data = bytes(await remote.download_as_bytearray())
    # A large XLSX takes seconds to read: off the event loop, so other chats are served.
    rows = await asyncio.to_thread(_parse, data, PurePath(file_name).suffix)
    return rows, hashlib.sha256(data).hexdigest()[:16]


def _parse(data: bytes, suffix: str) -> list[UnitRow]:
    """The file's unit rows, or UnitFileError."""
    return parse_unit_table(read_table_bytes(data, suffix))


async def receive_unit_file(update: Update, context: BotContext) -> None:
    """An admin's CSV or XLSX: what importing it would do, with ✅ Nhập / ❌ Hủy."""
    # Who may import is the permission table's /donvi row (roles are decided in one place).
    if not command_allowed("donvi", context.who.role):
        await keep_evidence(update, context)
        return
    document = message_of(update).document
    assert document is not None
    t = context.t
    name = document.file_name or "danh-sach.csv"
    try:
        rows, digest = await _read(context, document.file_id, name, document.file_size)
        preview = await preview_rows(context.deps.db, rows)
    except UnitFileError as error:
        await reply(update, t("units.file.refused", problems=unit_file_problems(t, error)))
        return
    if not preview.added and not preview.changed:
        await reply(update, preview_text(t, name, preview))
        return
    context.drafts.unit_file = UnitFileDraft(document.file_id, name, digest)
    markup = buttons(
        [
            (t("units.file.button.import"), build(Action.UNIT_IMPORT, digest)),
            (t("units.file.button.cancel"), build(Action.UNIT_IMPORT_CANCEL)),
        ]
    )
    await reply(update, preview_text(t, name, preview), markup)


async def import_file(update: Update, context: BotContext) -> None:
    """✅ Nhập: read the previewed file again and import it, once."""
    [digest] = args_of(callback_data(update), Action.UNIT_IMPORT)
    draft = context.drafts.unit_file
    t = context.t
    if draft is None or draft.digest != digest:
        await settle(update, t("units.file.stale"))
        return
    context.drafts.unit_file = None
    try:
        rows, read_digest = await _read(context, draft.file_id, draft.file_name)
    except UnitFileError as error:
        await settle(update, t("units.file.refused", problems=unit_file_problems(t, error)))
        return
    if read_digest != digest:
        await settle(update, t("units.file.stale"))
        return
    try:
        result = await import_rows(context.deps.db, rows, context.who.user_id)
    except UnitFileError as error:  # the units changed since the preview
        await settle(update, t("units.file.refused", problems=unit_file_problems(t, error)))
        return
    context.deps.identities.forget()
    await settle(update, t("units.file.imported", created=result.created, updated=result.updated))


async def cancel_file(update: Update, context: BotContext) -> None:
    """❌ Hủy: nothing is imported."""
    context.drafts.unit_file = None
    await settle(update, context.t("units.file.cancelled"))


def register(application: BotApplication) -> None:
    """Install the unit-file handler (before the chat's evidence handler) and its buttons."""
    application.add_handler(MessageHandler(UNIT_FILES, receive_unit_file))
    application.add_handler(
        CallbackQueryHandler(import_file, pattern=pattern(Action.UNIT_IMPORT, DIGEST))
    )
    application.add_handler(
        CallbackQueryHandler(cancel_file, pattern=pattern(Action.UNIT_IMPORT_CANCEL))
    )
