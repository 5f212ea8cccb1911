"""The outbox's database side: claim due rows under a lease, record outcomes, recover.

Several processes may share the database. A sender claims rows by writing its name and a
lease deadline on them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two senders never wait
for or take each other's rows), renews the lease while it sends, and writes an outcome only
while the row is still its own. Only rows whose lease ran out go back to `pending`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.registry.contacts import mark_blocked
from models import Contact, Delivery, DeliveryStatus, LanguageChoice, Unit
from models.db import Database

MAX_ERROR = 300


@dataclass(frozen=True)
class Claimed:
    """A delivery taken for sending."""

    id: int
    directive_id: int
    chat_id: int
    attempts: int
    parts_sent: int
    language: str | None = None
    # The recipient's unit now, for messages that name it (reminders, chases).
    unit_name: str | None = None


class Outcome(enum.StrEnum):
    """What happened to one send."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Result:
    """The outcome of one delivery attempt."""

    claimed: Claimed
    outcome: Outcome
    message_id: int | None = None
    error: str | None = None
    retry_after: float | None = None


def _rowcount(result: object) -> int:
    """Rows an UPDATE or DELETE touched."""
    return int(getattr(result, "rowcount", 0) or 0)


async def recover_expired(session: AsyncSession, now: datetime, *, worker: str) -> int:
    """Put rows whose sender's lease ran out back to `pending`; they may arrive twice, no more.

    A live sender renews its leases, so only the rows of a sender that died (or lost the
    database) come back; rows claimed before leases existed have none and come back too. The
    caller's own rows never do: it still holds them (or their outcomes) in memory.
    """
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.status == DeliveryStatus.SENDING,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            or_(Delivery.claimed_by.is_(None), Delivery.claimed_by != worker),
        )
        .values(status=DeliveryStatus.PENDING, claimed_by=None, lease_until=None)
    )
    return _rowcount(result)


async def renew_leases(session: AsyncSession, worker: str, until: datetime) -> int:
    """Extend the leases of every row this sender is sending; return how many it holds."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_by == worker)
        .values(lease_until=until)
    )
    return _rowcount(result)


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, *, worker: str, lease: timedelta
) -> list[Claimed]:
    """Claim up to `limit` due pending rows for `worker` until `now + lease`, oldest first.

    On PostgreSQL rows another transaction is claiming are skipped (`SKIP LOCKED`), not
    waited for; SQLite's single writer needs no row locks.
    """
    due = list(
        await session.scalars(
            select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return []
    rows = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due), Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, claimed_by=worker, lease_until=now + lease)
        .returning(
            Delivery.id,
            Delivery.directive_id,
            Delivery.chat_id,
            Delivery.attempts,
            Delivery.parts_sent,
        )
    )
    claimed = [Claimed(*row) for row in rows]
    readers = await _readers(session, [row.id for row in claimed])
    return sorted(
        (
            replace(row, language=readers[row.id][0], unit_name=readers[row.id][1])
            if row.id in readers
            else row
            for row in claimed
        ),
        key=lambda c: c.id,
    )


async def _readers(
    session: AsyncSession, delivery_ids: list[int]
) -> dict[int, tuple[str | None, str | None]]:
    """Each claimed delivery's reader: the language they chose and their unit's name."""
    if not delivery_ids:
        return {}
    rows = await session.execute(
        select(Delivery.id, LanguageChoice.language, Unit.name)
        .join(Contact, Contact.id == Delivery.contact_id)
        .outerjoin(LanguageChoice, LanguageChoice.telegram_user_id == Contact.telegram_user_id)
        .outerjoin(Unit, Unit.id == Contact.unit_id)
        .where(Delivery.id.in_(delivery_ids))
    )
    return {delivery_id: (language, unit) for delivery_id, language, unit in rows}


def backoff(attempts: int, base: float) -> timedelta:
    """Exponential backoff: base, 2·base, 4·base … capped at one hour."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


async def record_results(
    session: AsyncSession,
    results: Sequence[Result],
    now: datetime,
    *,
    worker: str,
    max_attempts: int,
    retry_base: float,
) -> Recorded:
    """Apply outcomes of rows `worker` still holds; blocked chats are marked on contacts.

    A row whose lease was taken back (this sender was presumed dead) is left to its new
    sender: the outcome is dropped and counted in `lost`.
    """
    lost = 0
    for result in results:
        values = _values_for(result, now, max_attempts=max_attempts, retry_base=retry_base)
        applied = await session.execute(
            update(Delivery)
            .where(
                Delivery.id == result.claimed.id,
                Delivery.status == DeliveryStatus.SENDING,
                Delivery.claimed_by == worker,
            )
            .values(**values, claimed_by=None, lease_until=None)
        )
        if not _rowcount(applied):
            lost += 1
            continue
        if result.outcome == Outcome.BLOCKED:
            await mark_blocked(session, result.claimed.chat_id)
    return Recorded({result.claimed.directive_id for result in results}, lost)


@dataclass(frozen=True)
class Recorded:
    """The directives whose rows changed, and the outcomes dropped for a lost lease."""

    directives: set[int]
    lost: int


def _values_for(
    result: Result, now: datetime, *, max_attempts: int, retry_base: float
) -> dict[str, object]:
    """The column changes for one outcome (see the state machine on DeliveryStatus)."""
    error = (result.error or "")[:MAX_ERROR] or None
    if result.outcome == Outcome.SENT:
        return {
            "status": DeliveryStatus.SENT,
            "sent_at": now,
            "message_id": result.message_id,
            "last_error": None,
        }
    if result.outcome == Outcome.BLOCKED:
        return {"status": DeliveryStatus.BLOCKED, "last_error": error}
    if result.outcome == Outcome.FAILED:
        return {
            "status": DeliveryStatus.FAILED,
            "last_error": error,
            "attempts": result.claimed.attempts + 1,
        }
    if result.retry_after is not None:
        # Flood control is not the recipient's fault: wait as told, without spending an attempt.
        return {
            "status": DeliveryStatus.PENDING,
            "last_error": error,
            "next_attempt_at": now + timedelta(seconds=result.retry_after),
        }
    attempts = result.claimed.attempts + 1
    if attempts >= max_attempts:
        return {"status": DeliveryStatus.FAILED, "attempts": attempts, "last_error": error}
    return {
        "status": DeliveryStatus.PENDING,
        "attempts": attempts,
        "last_error": error,
        "next_attempt_at": now + backoff(attempts, retry_base),
    }


async def save_progress_part(
    session: AsyncSession, delivery_id: int, parts_sent: int, *, worker: str
) -> None:
    """Remember how many parts of a long directive one recipient already has."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claimed_by == worker)
        .values(parts_sent=parts_sent)
    )


async def unfinished(session: AsyncSession, directive_ids: Sequence[int]) -> set[int]:
    """Directives among these that still have pending or sending rows."""
    rows = await session.scalars(
        select(Delivery.directive_id)
        .where(
            Delivery.directive_id.in_(directive_ids),
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
        )
        .distinct()
    )
    return set(rows)


async def still_running(db: Database, directive_ids: Sequence[int]) -> set[int]:
    """The broadcasts among these that still have deliveries to make."""
    async with db.read() as session:
        return await unfinished(session, directive_ids)
