"""Evidence: photos and documents a unit sends for its current period (the sign-up lists).

The row (Telegram's file_id, who sent it, the unit, the period, the caption) is written first,
in its own transaction, so nothing is lost whatever happens to the download; the file is then
fetched into EVIDENCE_DIR under a name the bot makes up, and the row says where it is.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports.periods import Period, period_at
from bot.services.reports.reports import Reporter, Target
from models import Evidence, EvidenceKind, EvidenceStatus, Unit, upsert
from models.db import Database

MAX_CAPTION = 1024
MAX_NAME = 200
MAX_ATTEMPTS = 5
# Extensions kept as they are; anything else is stored as .bin (the mime type is in the row).
SAFE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".heic", ".pdf", ".doc", ".docx", ".xls", ".xlsx"}
)
MIME_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}


@dataclass(frozen=True)
class IncomingFile:
    """What Telegram said about a photo or document."""

    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None
    caption: str | None = None


@dataclass(frozen=True)
class StoredEvidence:
    """What was kept: enough to answer now and to forward to officers later."""

    evidence_id: int
    unit_id: int
    unit_name: str
    period: Period
    sender_user_id: int
    sender_name: str
    kind: EvidenceKind
    file_id: str
    caption: str | None
    received_at: datetime
    # Where the file goes, relative to EVIDENCE_DIR.
    stored_path: str
    file_size: int | None
    status: EvidenceStatus
    # False when the same update arrived again (nothing new was stored).
    new: bool = True


def _extension(incoming: IncomingFile) -> str:
    """A harmless extension: from the file name if known and safe, else from the mime type."""
    if incoming.kind == EvidenceKind.PHOTO:
        return ".jpg"
    suffix = PurePosixPath(incoming.file_name or "").suffix.lower()
    if suffix in SAFE_EXTENSIONS:
        return suffix
    return MIME_EXTENSIONS.get((incoming.mime_type or "").lower(), ".bin")


def planned_path(unit_code: str, period: Period, evidence_id: int, extension: str) -> str:
    """A name the bot makes up (never the sender's): period folder, unit code, id, random."""
    code = re.sub(r"[^A-Za-z0-9_-]", "_", unit_code)[:32] or "unit"
    return f"{period.key}/{code}-{evidence_id}-{secrets.token_hex(6)}{extension}"


def _stored(row: Evidence, unit_name: str, period: Period, *, new: bool) -> StoredEvidence:
    """The public view of a row."""
    assert row.stored_path is not None
    return StoredEvidence(
        evidence_id=row.id,
        unit_id=row.unit_id,
        unit_name=unit_name,
        period=period,
        sender_user_id=row.sender_user_id,
        sender_name=row.sender_name,
        kind=row.kind,
        file_id=row.file_id,
        caption=row.caption,
        received_at=row.received_at,
        stored_path=row.stored_path,
        file_size=row.file_size,
        status=row.status,
        new=new,
    )


async def add_evidence(
    session: AsyncSession,
    target: Target,
    sender: Reporter,
    incoming: IncomingFile,
    *,
    update_id: int | None,
    now: datetime,
    period: Period,
) -> StoredEvidence:
    """Write the row in the caller's transaction; a redelivered update gets its row back."""
    if update_id is not None:
        existing = await session.scalar(
            select(Evidence).where(Evidence.source_update_id == update_id)
        )
        if existing is not None:
            return _stored(existing, target.unit_name, period, new=False)
    unit = await session.get(Unit, target.unit_id)
    assert unit is not None
    inserted = await session.scalar(
        upsert.insert(session, Evidence)
        .values(
            unit_id=target.unit_id,
            period_key=period.key,
            sender_user_id=sender.user_id or 0,
            sender_name=sender.name[:MAX_NAME],
            kind=incoming.kind,
            file_id=incoming.file_id,
            file_unique_id=incoming.file_unique_id,
            file_name=(incoming.file_name or None) and incoming.file_name[:MAX_NAME],
            mime_type=(incoming.mime_type or None) and incoming.mime_type[:100],
            file_size=incoming.file_size,
            caption=(incoming.caption or None) and incoming.caption[:MAX_CAPTION],
            source_update_id=update_id,
            received_at=now,
            status=EvidenceStatus.PENDING,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["source_update_id"])
        .returning(Evidence.id)
    )
    if inserted is None:
        # Another process stored this very update between our read and our insert.
        row = await session.scalar(select(Evidence).where(Evidence.source_update_id == update_id))
        assert row is not None
        return _stored(row, target.unit_name, period, new=False)
    row = await session.get(Evidence, inserted)
    assert row is not None
    row.stored_path = planned_path(unit.code, period, row.id, _extension(incoming))
    await session.flush()
    return _stored(row, target.unit_name, period, new=True)


async def record_evidence(
    db: Database,
    target: Target,
    sender: Reporter,
    incoming: IncomingFile,
    *,
    update_id: int | None,
    now: datetime,
    period_kind: str,
    tz: ZoneInfo,
) -> StoredEvidence:
    """Keep a photo or document as evidence for the unit's current period, in one transaction.

    This is the one call that says what was stored (unit, period, sender, file id, caption),
    so that forwarding it to officers needs nothing else.
    """
    period = period_at(now, period_kind, tz)
    async with db.write() as session:
        return await add_evidence(
            session, target, sender, incoming, update_id=update_id, now=now, period=period
        )


@dataclass(frozen=True)
class EvidenceFile:
    """A file still to fetch."""

    evidence_id: int
    file_id: str
    file_size: int | None
    stored_path: str


def file_of(stored: StoredEvidence) -> EvidenceFile:
    """The download to do for a row just written."""
    return EvidenceFile(stored.evidence_id, stored.file_id, stored.file_size, stored.stored_path)


async def files_to_fetch(db: Database, limit: int = 100) -> list[EvidenceFile]:
    """Rows whose file is not downloaded yet (a restart finishes them)."""
    async with db.read() as session:
        rows = await session.scalars(
            select(Evidence)
            .where(Evidence.status == EvidenceStatus.PENDING)
            .order_by(Evidence.id)
            .limit(limit)
        )
        return [
            EvidenceFile(row.id, row.file_id, row.file_size, row.stored_path or "")
            for row in rows
            if row.stored_path
        ]


async def mark_stored(db: Database, evidence_id: int, size: int, now: datetime) -> None:
    """The file is on disk."""
    async with db.write() as session:
        await session.execute(
            update(Evidence)
            .where(Evidence.id == evidence_id)
            .values(status=EvidenceStatus.STORED, stored_at=now, file_size=size)
        )


async def mark_too_large(db: Database, evidence_id: int) -> None:
    """The file is over the size limit: only Telegram's file_id is kept."""
    async with db.write() as session:
        await session.execute(
            update(Evidence)
            .where(Evidence.id == evidence_id)
            .values(status=EvidenceStatus.TOO_LARGE)
        )


async def mark_failed(db: Database, evidence_id: int) -> None:
    """A download failed: try again at the next start, up to MAX_ATTEMPTS."""
    async with db.write() as session:
        row = await session.get(Evidence, evidence_id)
        if row is None:
            return
        row.attempts += 1
        if row.attempts >= MAX_ATTEMPTS:
            row.status = EvidenceStatus.FAILED


async def evidence_of(
    db: Database, evidence_id: int, tz: ZoneInfo, period_kind: str
) -> StoredEvidence | None:
    """One stored item as `record_evidence` returned it (None when unknown)."""
    async with db.read() as session:
        row = await session.get(Evidence, evidence_id)
        if row is None:
            return None
        unit = await session.get(Unit, row.unit_id)
        assert unit is not None
        period = period_at(row.received_at, period_kind, tz)
        return _stored(row, unit.name, period, new=False)
