"""Conversation drafts and states in the database, so that any process can continue them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select

from models import ConversationState, UserDrafts, upsert
from models.db import Database


@dataclass(frozen=True)
class StoredConversations:
    """One person's drafts (JSON, or None) and conversation states by (name, key)."""

    drafts: str | None
    states: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredMany:
    """Several people's drafts by user id, and the states stored under the keys asked for."""

    drafts: dict[int, str]
    states: dict[str, dict[tuple[str, str], tuple[str, datetime]]]

    def of(self, user_id: int, keys: Sequence[str]) -> StoredConversations:
        """One person's part: their drafts and the states under their keys."""
        states = {found: value for key in keys for found, value in self.states.get(key, {}).items()}
        return StoredConversations(self.drafts.get(user_id), states)


async def load_many(db: Database, user_ids: Sequence[int], keys: Sequence[str]) -> StoredMany:
    """Drafts of these people and the states under these conversation keys (two queries)."""
    async with db.read() as session:
        drafts = await session.execute(
            select(UserDrafts.user_id, UserDrafts.data).where(UserDrafts.user_id.in_(user_ids))
        )
        rows = await session.execute(
            select(
                ConversationState.name,
                ConversationState.key,
                ConversationState.state,
                ConversationState.updated_at,
            ).where(ConversationState.key.in_(keys))
        )
        states: dict[str, dict[tuple[str, str], tuple[str, datetime]]] = {}
        for name, key, state, at in rows:
            states.setdefault(key, {})[(name, key)] = (state, at)
        return StoredMany({user_id: data for user_id, data in drafts}, states)


async def save_drafts(db: Database, user_id: int, data: str | None, now: datetime) -> None:
    """Store a person's drafts (None: they have none)."""
    async with db.write() as session:
        if data is None:
            await session.execute(delete(UserDrafts).where(UserDrafts.user_id == user_id))
            return
        statement = upsert.insert(session, UserDrafts).values(
            user_id=user_id, data=data, updated_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"data": data, "updated_at": now}
            )
        )


async def save_state(db: Database, name: str, key: str, state: str | None, now: datetime) -> None:
    """Store where a conversation stands (None: it ended)."""
    async with db.write() as session:
        if state is None:
            await session.execute(
                delete(ConversationState).where(
                    ConversationState.name == name, ConversationState.key == key
                )
            )
            return
        statement = upsert.insert(session, ConversationState).values(
            name=name, key=key, state=state, updated_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["name", "key"], set_={"state": state, "updated_at": now}
            )
        )


async def prune(db: Database, before: datetime) -> int:
    """Forget conversation states untouched since `before` (long timed out)."""
    async with db.write() as session:
        result = await session.execute(
            delete(ConversationState).where(ConversationState.updated_at < before)
        )
    return int(getattr(result, "rowcount", 0) or 0)
