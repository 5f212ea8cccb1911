"""The durable inbox's database side: store a received update once, mark it done, recover, prune."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from models import ReceivedUpdate, UpdateStatus, upsert
from models.db import Database


@dataclass(frozen=True)
class Incoming:
    """One update as received: its id, the chat it belongs to, and its raw JSON."""

    update_id: int
    chat_key: int | None
    payload: str


async def store(db: Database, incoming: Incoming, now: datetime) -> bool:
    """Write the update before Telegram is told it arrived; False if it was already stored.

    The same id with the same content is a redelivery. The same id with other content is a
    new update: Telegram restarts its ids at random after a week without updates, and a local
    Bot API (the sandbox) restarts them at 1; the old row is replaced.
    """
    async with db.write() as session:
        inserted = await session.scalar(
            upsert.insert(session, ReceivedUpdate)
            .values(
                update_id=incoming.update_id,
                chat_key=incoming.chat_key,
                payload=incoming.payload,
                status=UpdateStatus.PENDING,
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(ReceivedUpdate.update_id)
        )
        if inserted is not None:
            return True
        replaced = await session.execute(
            update(ReceivedUpdate)
            .where(
                ReceivedUpdate.update_id == incoming.update_id,
                ReceivedUpdate.payload != incoming.payload,
            )
            .values(
                chat_key=incoming.chat_key,
                payload=incoming.payload,
                status=UpdateStatus.PENDING,
                received_at=now,
                processed_at=None,
            )
        )
        return int(getattr(replaced, "rowcount", 0) or 0) > 0


async def store_many(db: Database, batch: list[Incoming], now: datetime) -> list[int]:
    """Write a batch of updates in one transaction; return the ids that were new.

    One `getUpdates` answer (up to 100 updates) costs one transaction instead of one each.
    """
    if not batch:
        return []
    async with db.write() as session:
        known = {
            update_id: payload
            for update_id, payload in await session.execute(
                select(ReceivedUpdate.update_id, ReceivedUpdate.payload).where(
                    ReceivedUpdate.update_id.in_([item.update_id for item in batch])
                )
            )
        }
        fresh: list[int] = []
        for item in batch:
            if item.update_id not in known:
                session.add(
                    ReceivedUpdate(
                        update_id=item.update_id,
                        chat_key=item.chat_key,
                        payload=item.payload,
                        status=UpdateStatus.PENDING,
                        received_at=now,
                    )
                )
            elif known[item.update_id] != item.payload:
                # Same id, other content: see `store`.
                await session.execute(
                    update(ReceivedUpdate)
                    .where(ReceivedUpdate.update_id == item.update_id)
                    .values(
                        chat_key=item.chat_key,
                        payload=item.payload,
                        status=UpdateStatus.PENDING,
                        received_at=now,
                        processed_at=None,
                    )
                )
            else:
                continue
            known[item.update_id] = item.payload
            fresh.append(item.update_id)
        return fresh


async def mark_done(db: Database, update_ids: Iterable[int], now: datetime) -> None:
    """Record that these updates were processed."""
    ids = sorted(set(update_ids))
    if not ids:
        return
    async with db.write() as session:
        await session.execute(
            update(ReceivedUpdate)
            .where(ReceivedUpdate.update_id.in_(ids))
            .values(status=UpdateStatus.DONE, processed_at=now)
        )


async def unfinished(db: Database) -> list[Incoming]:
    """The updates stored but not processed (a crash came between), oldest first."""
    async with db.read() as session:
        rows = await session.execute(
            select(ReceivedUpdate.update_id, ReceivedUpdate.chat_key, ReceivedUpdate.payload)
            .where(ReceivedUpdate.status == UpdateStatus.PENDING)
            .order_by(ReceivedUpdate.update_id)
        )
        return [Incoming(*row) for row in rows]


async def prune(db: Database, before: datetime) -> int:
    """Delete the updates processed before `before`; return how many."""
    async with db.write() as session:
        result = await session.execute(
            delete(ReceivedUpdate).where(
                ReceivedUpdate.status == UpdateStatus.DONE, ReceivedUpdate.processed_at < before
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)
