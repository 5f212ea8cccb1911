"""One sender's view of the outbox: each call is one transaction (the dispatcher drives them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.outbox import (
    Claimed,
    Recorded,
    Result,
    claim_due,
    record_results,
    recover_expired,
    renew_leases,
    save_progress_part,
)
from models import COMPOSED_KINDS, Commune, Directive, MessageKind
from models.base import utcnow
from models.db import Database


class SenderLedger:
    """Claims, leases and outcomes of the deliveries one sender (`worker`) makes."""

    def __init__(self, db: Database, worker: str, lease: timedelta) -> None:
        """Claim under `worker`'s name, each claim held for `lease` unless renewed."""
        self.worker = worker
        self._db = db
        self._lease = lease

    async def take_back_expired(self) -> int:
        """Put back to pending the rows whose sender's lease ran out; how many."""
        async with self._db.write() as session:
            return await recover_expired(session, utcnow(), worker=self.worker)

    async def renew(self) -> None:
        """Extend the leases of every row this sender holds."""
        async with self._db.write() as session:
            await renew_leases(session, self.worker, utcnow() + self._lease)

    async def claim(self, limit: int) -> list[Claimed]:
        """Take up to `limit` due rows, oldest first."""
        async with self._db.write() as session:
            return await claim_due(session, utcnow(), limit, worker=self.worker, lease=self._lease)

    async def save_part(self, delivery_id: int, parts_sent: int) -> None:
        """Remember how many parts of a long message one recipient already has."""
        async with self._db.write() as session:
            await save_progress_part(session, delivery_id, parts_sent, worker=self.worker)

    async def record(
        self, results: Sequence[Result], *, max_attempts: int, retry_base: float
    ) -> Recorded:
        """Write the outcomes of rows this sender still holds, in one transaction."""
        async with self._db.write() as session:
            return await record_results(
                session,
                results,
                utcnow(),
                worker=self.worker,
                max_attempts=max_attempts,
                retry_base=retry_base,
            )

    async def content(self, directive_id: int) -> tuple[DirectiveContent, MessageKind]:
        """What a broadcast says, and what kind of message it is."""
        async with self._db.read() as session:
            directive = await session.get(Directive, directive_id)
            if directive is None:
                raise LookupError(f"directive {directive_id} is gone")
            issuer, provincial = await issuer_of(session, directive)
        return replace(content_of(directive), issuer=issuer, provincial=provincial), directive.kind


async def issuer_of(session: AsyncSession, directive: Directive) -> tuple[str | None, bool]:
    """The commune a directive speaks for, and whether it is the province's own."""
    if directive.commune_id is not None:
        commune = await session.get(Commune, directive.commune_id)
        return (commune.short_name if commune is not None else None), False
    if directive.kind not in COMPOSED_KINDS:
        return None, False
    return None, bool(await session.scalar(select(func.count()).select_from(Commune)))


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
        body_key=directive.body_key,
        body_params=directive.body_params or {},
        body_format=directive.body_format,
        photo_file_ids=tuple(directive.photo_file_ids or ()),
        voice_file_id=directive.voice_file_id,
        buttons=tuple(
            tuple((str(key), str(data)) for key, data in row) for row in directive.buttons or ()
        ),
    )
