"""The outbox's database side: recover after a crash, claim due rows, record outcomes."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
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


async def recover_inflight(session: AsyncSession) -> int:
    """Put rows a crash left in `sending` back to `pending`; they may arrive twice, no more."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.PENDING)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Claimed]:
    """Mark up to `limit` due pending rows as `sending` and return them, oldest first."""
    due = (
        select(Delivery.id)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .scalar_subquery()
    )
    rows = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due), Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING)
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
    max_attempts: int,
    retry_base: float,
) -> set[int]:
    """Apply outcomes; return the directives touched. Blocked chats are marked on contacts."""
    for result in results:
        values = _values_for(result, now, max_attempts=max_attempts, retry_base=retry_base)
        await session.execute(
            update(Delivery).where(Delivery.id == result.claimed.id).values(**values)
        )
        if result.outcome == Outcome.BLOCKED:
            await mark_blocked(session, result.claimed.chat_id)
    return {result.claimed.directive_id for result in results}


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


async def save_progress_part(session: AsyncSession, delivery_id: int, parts_sent: int) -> None:
    """Remember how many parts of a long directive one recipient already has."""
    await session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(parts_sent=parts_sent)
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
