"""Chat claims: which webhook worker processes a chat's updates, under a renewable lease.

Any worker stores what it receives; the one holding the chat's claim processes the chat's
pending updates in `update_id` order. A claim is taken when it is free, expired, or already
ours (one INSERT … ON CONFLICT DO UPDATE … WHERE, so two workers never both win), renewed
while the worker lives, and released when the chat has been idle for a while or the worker
stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update

from bot.services.maintenance.inbox import Incoming
from models import ChatClaim, ReceivedUpdate, UpdateStatus, upsert
from models.db import Database

# Updates that belong to no chat (none of ours) are processed under this key.
NO_CHAT = 0


def claim_key(chat_key: int | None) -> int:
    """The claim an update's chat falls under."""
    return NO_CHAT if chat_key is None else chat_key


async def claim(db: Database, chat_key: int, worker: str, now: datetime, until: datetime) -> bool:
    """Take (or keep) a chat for `worker`; False when another live worker holds it."""
    async with db.write() as session:
        statement = upsert.insert(session, ChatClaim).values(
            chat_key=chat_key, worker=worker, lease_until=until, claimed_at=now
        )
        taken = await session.scalar(
            statement.on_conflict_do_update(
                index_elements=["chat_key"],
                set_={
                    "worker": statement.excluded.worker,
                    "lease_until": statement.excluded.lease_until,
                    "claimed_at": statement.excluded.claimed_at,
                },
                where=or_(ChatClaim.worker == worker, ChatClaim.lease_until < now),
            ).returning(ChatClaim.chat_key)
        )
    return taken is not None


async def renew(db: Database, worker: str, until: datetime) -> set[int]:
    """Extend every claim `worker` holds; return the chats it still holds."""
    async with db.write() as session:
        rows = await session.scalars(
            update(ChatClaim)
            .where(ChatClaim.worker == worker)
            .values(lease_until=until)
            .returning(ChatClaim.chat_key)
        )
        return set(rows)


async def release(db: Database, worker: str, chat_keys: Iterable[int] | None = None) -> None:
    """Give chats up (all of `worker`'s when none are named)."""
    condition = ChatClaim.worker == worker
    if chat_keys is not None:
        keys = list(chat_keys)
        if not keys:
            return
        condition = and_(condition, ChatClaim.chat_key.in_(keys))
    async with db.write() as session:
        await session.execute(delete(ChatClaim).where(condition))


async def pending_of(db: Database, chat_key: int) -> list[Incoming]:
    """A chat's updates not yet processed, oldest first."""
    chat = (
        ReceivedUpdate.chat_key.is_(None)
        if chat_key == NO_CHAT
        else ReceivedUpdate.chat_key == chat_key
    )
    async with db.read() as session:
        rows = await session.execute(
            select(ReceivedUpdate.update_id, ReceivedUpdate.chat_key, ReceivedUpdate.payload)
            .where(ReceivedUpdate.status == UpdateStatus.PENDING, chat)
            .order_by(ReceivedUpdate.update_id)
        )
        return [Incoming(*row) for row in rows]


async def waiting_chats(db: Database, worker: str, now: datetime, limit: int) -> list[int]:
    """Chats with pending updates that nobody live holds, or that `worker` holds."""
    async with db.read() as session:
        rows = await session.scalars(
            select(ReceivedUpdate.chat_key)
            .outerjoin(ChatClaim, ChatClaim.chat_key == ReceivedUpdate.chat_key)
            .where(
                ReceivedUpdate.status == UpdateStatus.PENDING,
                or_(
                    ChatClaim.chat_key.is_(None),
                    ChatClaim.worker == worker,
                    ChatClaim.lease_until < now,
                ),
            )
            .group_by(ReceivedUpdate.chat_key)
            .order_by(ReceivedUpdate.chat_key)
            .limit(limit)
        )
        return [claim_key(chat) for chat in rows]
