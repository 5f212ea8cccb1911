"""Conversations shared by every process: each person's drafts and states, in the database.

The next update of a person may reach another process (a webhook worker, a standby that
became the leader), so what they are in the middle of lives in the database, not in memory:

- `prepare(update)` runs before each update is processed: if this process has not loaded the
  person since it became responsible for their chat, it reads their drafts (PTB's public
  `user_data`, typed as `UserData`) and their conversation states
  (bot/telegram/conversations/conversation.py) in one read with the other senders arriving
  at the same moment (bot/services/common/batching.py);
- `write(update)` runs after it: the conversation states that changed, and the sender's drafts
  when their JSON changed (bot/telegram/conversations/draft_codec.py);
- writes happen only while this process is responsible for the chat (`owns`: it leads, or holds
  the chat's claim), so a process that lost a chat never overwrites its new owner.

PTB's own persistence is not used: it loads everything once at start, which several processes
cannot share.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from telegram import Update

from bot.services.common.batching import Coalescer
from bot.services.maintenance import drafts
from bot.services.maintenance.drafts import StoredConversations
from bot.telegram.conversations.draft_codec import DraftCodecError, dump_slots, load_slots
from bot.telegram.conversations.drafts import UserData
from models.base import utcnow
from models.db import Database

logger = logging.getLogger(__name__)

# A conversation's key: the chat and the person in it.
Key = tuple[int, int]
State = int | str


def key_of(update: object) -> Key | None:
    """The conversation key of an update: its chat and sender (None without either)."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return None
    if update.effective_user is None:
        return None
    return update.effective_chat.id, update.effective_user.id


def key_text(key: Key) -> str:
    """A conversation key as stored: JSON of its parts."""
    return json.dumps(list(key), separators=(",", ":"))


class Conversation(Protocol):
    """What the shared state needs of a conversation (conversations/conversation.py)."""

    name: str
    conversation_timeout: float

    def end(self, key: Key) -> None:
        """End the person's conversation, as if its question was dropped."""


class SharedState:
    """Every person's drafts and conversation states, loaded when needed and written after."""

    def __init__(self, owns: Callable[[int], bool]) -> None:
        """Write a chat's state only while `owns(chat)`; nothing is read before `attach`."""
        self._conversations: list[Conversation] = []
        self._db: Database | None = None
        self._users: Mapping[int, UserData] = {}
        self._loader: Coalescer[Key, StoredConversations] = Coalescer(self._load_many)
        self._fresh: set[int] = set()
        self._written: dict[int, str] = {}
        self._states: dict[tuple[str, Key], State] = {}
        self._changed: dict[tuple[str, Key], State | None] = {}
        self.owns = owns

    def attach(self, db: Database, users: Mapping[int, UserData]) -> None:
        """Start reading and writing the database; `users` is PTB's `application.user_data`."""
        self._db, self._users = db, users

    def register(self, conversation: Conversation) -> None:
        """Keep a conversation's states here (each conversation registers itself)."""
        self._conversations.append(conversation)

    def end_others(self, key: Key, keep: str) -> None:
        """End the person's conversations other than `keep` (one question at a time)."""
        for conversation in self._conversations:
            if conversation.name != keep:
                conversation.end(key)

    def state(self, name: str, key: Key) -> State | None:
        """Where the person is in a conversation (None: not in it)."""
        return self._states.get((name, key))

    def set_state(self, name: str, key: Key, state: State | None) -> None:
        """Move the person in a conversation (None: it ended); written after the update.

        Setting the state it already has is no change: most updates (a report by command)
        enter and leave a conversation at once and need no write at all.
        """
        if self._states.get((name, key)) == state:
            return
        if state is None:
            self._states.pop((name, key), None)
        else:
            self._states[(name, key)] = state
        self._changed[(name, key)] = state

    def forget(self, user_id: int) -> None:
        """Read the person again before use (this process may have missed their changes)."""
        self._fresh.discard(user_id)
        self._written.pop(user_id, None)
        for name, key in [entry for entry in self._states if entry[1][1] == user_id]:
            del self._states[(name, key)]

    def forget_all(self) -> None:
        """Read everyone again before use (this process just became responsible for all)."""
        self._fresh.clear()
        self._written.clear()
        self._states.clear()

    async def prepare(self, update: object) -> None:
        """Load the sender's drafts and conversation states, unless already current here."""
        key = key_of(update)
        if key is None or key[1] in self._fresh or self._db is None:
            return
        stored = await self._loader.load(key)
        if key[1] in self._fresh:
            return  # their update in another chat put everything in place meanwhile
        self._apply_states(key, stored.states)
        user_data = self._users[key[1]]
        dropped = load_slots(user_data, stored.drafts)
        if dropped:
            logger.warning("Drafts of user %s no longer read (%s); dropped", key[1], dropped)
        self._written[key[1]] = dump_slots(user_data)
        self._fresh.add(key[1])

    async def _load_many(self, keys: list[Key]) -> dict[Key, StoredConversations]:
        """Drafts and conversation states of several senders, in one read."""
        assert self._db is not None
        texts = {key: key_text(key) for key in keys}
        stored = await drafts.load_many(
            self._db, sorted({user for _, user in keys}), sorted(set(texts.values()))
        )
        return {key: stored.of(key[1], [texts[key]]) for key in keys}

    def _apply_states(self, key: Key, stored: dict[tuple[str, str], tuple[str, datetime]]) -> None:
        """Put the person's stored, unexpired states in place (a load is not a change)."""
        now = utcnow()
        for conversation in self._conversations:
            name, timeout = conversation.name, conversation.conversation_timeout
            found = stored.get((name, key_text(key)))
            if found is None or now - found[1] > timedelta(seconds=timeout):
                self._states.pop((name, key), None)
            else:
                self._states[(name, key)] = json.loads(found[0])

    def has_changes(self, update: object) -> bool:
        """Whether `write` would store anything: a conversation's state, or the sender's drafts."""
        if self._changed:
            return True
        key = key_of(update)
        if key is None or key[1] not in self._fresh:
            return False
        data = self._users.get(key[1])
        try:
            return data is not None and self._written.get(key[1]) != dump_slots(data)
        except DraftCodecError:
            return True  # let `write` log it

    async def write(self, update: object) -> None:
        """Store the states that changed and the sender's drafts, where this process owns them."""
        if self._db is None:
            return
        changed, self._changed = self._changed, {}
        now = utcnow()
        for (name, key), state in changed.items():
            if self.owns(key[0]):
                text = None if state is None else json.dumps(state)
                await drafts.save_state(self._db, name, key_text(key), text, now)
        sender = key_of(update)
        if sender is not None:
            await self._write_drafts(sender, now)

    async def _write_drafts(self, key: Key, now: datetime) -> None:
        """Store a person's drafts when they changed, if this process owns the chat."""
        user_id = key[1]
        data = self._users.get(user_id)
        if self._db is None or data is None or user_id not in self._fresh or not self.owns(key[0]):
            return
        try:
            text = dump_slots(data)
        except DraftCodecError:
            logger.exception("Drafts of user %s cannot be stored", user_id)
            return
        if self._written.get(user_id) == text:
            return
        await drafts.save_drafts(self._db, user_id, None if text == "{}" else text, now)
        self._written[user_id] = text
