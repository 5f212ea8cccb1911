"""The durable inbox's database side: store a received update once, mark it done, recover, prune."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Select, Update, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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


@functools.cache
def _known_payloads() -> Select[tuple[int, str]]:
    """The stored payloads of the given update ids (built once, bound per batch)."""
    update_ids: BindParameter[Any] = bindparam("update_ids", expanding=True)
    return select(ReceivedUpdate.update_id, ReceivedUpdate.payload).where(
        ReceivedUpdate.update_id.in_(update_ids)
    )


@functools.cache
def _mark_done() -> Update:
    """Mark the given update ids done (built once, bound per batch)."""
    update_ids: BindParameter[Any] = bindparam("update_ids", expanding=True)
    return (
        update(ReceivedUpdate)
        .where(ReceivedUpdate.update_id.in_(update_ids))
        .values(
            status=UpdateStatus.DONE,
            processed_at=bindparam("now", type_=ReceivedUpdate.processed_at.type),
        )
    )


async def store_many(db: Database, batch: list[Incoming], now: datetime) -> list[int]:
    """Write a batch of updates in one transaction; return the ids that were new.

    One `getUpdates` answer (up to 100 updates) costs one transaction instead of one each:
    one read of what is known, and one INSERT run with every new row's values.
    """
    if not batch:
        return []
    async with db.write() as session:
        ids = {"update_ids": [item.update_id for item in batch]}
        known = dict((await session.execute(_known_payloads(), ids)).tuples().all())
        fresh: list[int] = []
        new_rows: list[dict[str, Any]] = []
        for item in batch:
            if item.update_id not in known:
                new_rows.append(_row(item, now))
            elif known[item.update_id] != item.payload:
                # Same id, other content: see `store` (rows gathered so far go in first, so
                # an id repeated within the batch is updated after its insert, not before).
                await _insert(session, new_rows)
                await session.execute(
                    update(ReceivedUpdate)
                    .where(ReceivedUpdate.update_id == item.update_id)
                    .values(**_row(item, now), processed_at=None)
                )
            else:
                continue
            known[item.update_id] = item.payload
            fresh.append(item.update_id)
        await _insert(session, new_rows)
        return fresh


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert the gathered rows with one statement, and forget them."""
    if rows:
        await session.execute(insert(ReceivedUpdate), rows)
        rows.clear()


def _row(item: Incoming, now: datetime) -> dict[str, Any]:
    """The columns of a received update, pending."""
    return {
        "update_id": item.update_id,
        "chat_key": item.chat_key,
        "payload": item.payload,
        "status": UpdateStatus.PENDING,
        "received_at": now,
    }


async def mark_done(db: Database, update_ids: Iterable[int], now: datetime) -> None:
    """Record that these updates were processed."""
    ids = sorted(set(update_ids))
    if not ids:
        return
    async with db.write() as session:
        await session.execute(_mark_done(), {"update_ids": ids, "now": now})


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
