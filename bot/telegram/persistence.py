"""Conversations shared by every process: a PTB persistence backed by the database.

PTB keeps `user_data` (our typed drafts) and each ConversationHandler's states in memory, and
a persistence loads them once at start. With several processes, the next update of a person
may reach another process (a webhook worker, a standby that became the leader), so:

- `prepare(update)` runs before each update is processed: if this process has not loaded the
  person since it became responsible for their chat, it reads their drafts and conversation
  states from the database (in one read with the other senders arriving at the same moment,
  bot/services/common/batching.py) and puts them in place;
- after each update `Application.update_persistence()` writes what changed: the drafts as
  JSON (bot/telegram/draft_codec.py, never pickle), and each conversation's new state;
- writes happen only while this process is responsible for the chat (`owns`: it leads, or
  holds the chat's claim), so a process that lost a chat never overwrites its new owner.

What a conversation needs to be shared: a `name=` and `persistent=True` on its
ConversationHandler (tests/test_persistence.py checks every registered one), states that are
ints or strings, and its draft in an annotated `UserData` slot (bot/telegram/drafts.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, BasePersistence, ConversationHandler, PersistenceInput

from bot.services.common.batching import Coalescer
from bot.services.maintenance import drafts
from bot.services.maintenance.drafts import StoredConversations
from bot.telegram.draft_codec import DraftCodecError, dump_slots, load_slots
from bot.telegram.drafts import UserData
from models.base import utcnow
from models.db import Database

# The shapes of PTB's own aliases (telegram.ext._utils.types, a private module).
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]

logger = logging.getLogger(__name__)

ChatData = dict[Any, Any]
# PTB's update_persistence also runs on its own every so often; ours runs after each update.
PTB_UPDATE_INTERVAL = 60.0


def key_text(key: ConversationKey) -> str:
    """A conversation key as stored: JSON of its parts."""
    return json.dumps(list(key), separators=(",", ":"))


def candidate_keys(chat_id: int | None, user_id: int | None) -> list[ConversationKey]:
    """The keys a conversation may use for this chat and user (per chat, per user, or both)."""
    keys: list[ConversationKey] = []
    if chat_id is not None and user_id is not None:
        keys.append((chat_id, user_id))
    keys += [(part,) for part in (chat_id, user_id) if part is not None]
    return list(dict.fromkeys(keys))


class DatabasePersistence(BasePersistence[UserData, ChatData, Any]):
    """user_data and conversation states in the database; loaded per person when needed."""

    def __init__(self) -> None:
        """Nothing is loaded until `attach` gives the database (post_init)."""
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=PTB_UPDATE_INTERVAL,
        )
        self._db: Database | None = None
        # Senders of one getUpdates batch are read together, (user id, chat id) each.
        self._loader: Coalescer[tuple[int, int | None], StoredConversations] = Coalescer(
            self._load_many
        )
        self._application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._fresh: set[int] = set()
        self._written: dict[int, str] = {}
        # Whether this process is responsible for a chat now (set by the runtime).
        self.owns: Callable[[int], bool] = lambda chat_id: True

    def attach(self, db: Database, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Start reading and writing the database."""
        self._db, self._application = db, application

    def forget(self, user_id: int) -> None:
        """Read the person again before use (this process may have missed their changes)."""
        self._fresh.discard(user_id)
        self._written.pop(user_id, None)

    def forget_all(self) -> None:
        """Read everyone again before use (this process just became responsible for all)."""
        self._fresh.clear()
        self._written.clear()

    async def prepare(self, update: object) -> None:
        """Load the sender's drafts and conversation states, unless already current here."""
        if not isinstance(update, Update) or update.effective_user is None:
            return
        user_id = update.effective_user.id
        chat_id = update.effective_chat.id if update.effective_chat else None
        if user_id in self._fresh or self._db is None or self._application is None:
            return
        stored = await self._loader.load((user_id, chat_id))
        self._apply_states(candidate_keys(chat_id, user_id), stored.states)
        if user_id in self._fresh:
            return  # their update in another chat put the drafts in place meanwhile
        user_data = self._application.user_data[user_id]
        dropped = load_slots(user_data, stored.drafts)
        if dropped:
            logger.warning("Drafts of user %s no longer read (%s); dropped", user_id, dropped)
        self._written[user_id] = dump_slots(user_data)
        self._fresh.add(user_id)

    async def _load_many(
        self, people: list[tuple[int, int | None]]
    ) -> dict[tuple[int, int | None], StoredConversations]:
        """Drafts and conversation states of several senders, in one read."""
        assert self._db is not None
        keys = {
            person: [key_text(key) for key in candidate_keys(person[1], person[0])]
            for person in people
        }
        stored = await drafts.load_many(
            self._db,
            sorted({user_id for user_id, _ in people}),
            sorted({key for person_keys in keys.values() for key in person_keys}),
        )
        return {person: stored.of(person[0], person_keys) for person, person_keys in keys.items()}

    def has_changes(self, update: object) -> bool:
        """Whether writing now would store anything: a conversation's state, or the sender's drafts.

        Most updates change neither (a report by command enters and leaves its conversation at
        once); for them the write, with its lock and tasks, is skipped. What PTB marked stays
        marked, and the next write (or PTB's own every PTB_UPDATE_INTERVAL) compares it.
        """
        assert self._application is not None
        if pending_conversation_writes(self._application):
            return True
        if not isinstance(update, Update) or update.effective_user is None:
            return False
        user_id = update.effective_user.id
        data = self._application.user_data.get(user_id)
        if data is None or user_id not in self._fresh:
            return False
        try:
            return self._written.get(user_id) != dump_slots(data)
        except DraftCodecError:
            return True  # let update_user_data log it

    def _apply_states(
        self, keys: list[ConversationKey], stored: dict[tuple[str, str], tuple[str, Any]]
    ) -> None:
        """Put the stored states in each conversation's dict, without marking them changed."""
        assert self._application is not None
        now = utcnow()
        for handler in persistent_conversations(self._application):
            assert handler.name is not None
            states = conversation_states(self._application, handler.name)
            timeout = handler.conversation_timeout
            for key in keys:
                found = stored.get((handler.name, key_text(key)))
                expired = (
                    found is not None
                    and isinstance(timeout, int | float | timedelta)
                    and now - found[1] > _as_timedelta(timeout)
                )
                if found is None or expired:
                    # `data` is UserDict's own dict: changing it is not a tracked write.
                    states.data.pop(key, None)
                else:
                    states.update_no_track({key: json.loads(found[0])})

    async def get_user_data(self) -> dict[int, UserData]:
        """Nothing up front: each person is loaded when their next update comes."""
        return {}

    async def get_chat_data(self) -> dict[int, ChatData]:
        """Chat data is not used."""
        return {}

    async def get_bot_data(self) -> Any:
        """Bot data is not stored (it holds live resources, built at start)."""
        raise NotImplementedError("bot_data is not persisted")

    async def get_callback_data(self) -> CDCData | None:
        """Callback data is not stored."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """Nothing up front: each person's states are loaded with their drafts."""
        return {}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store one conversation's new state (None: it ended), if this process owns the chat."""
        if self._db is None or not key or not self.owns(int(key[0])):
            return
        state = None if new_state is None else json.dumps(new_state)
        await drafts.save_state(self._db, name, key_text(key), state, utcnow())

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        """Store a person's drafts when they changed, if this process owns the chat."""
        if self._db is None or not self.owns(user_id) or user_id not in self._fresh:
            return
        try:
            text = dump_slots(data)
        except DraftCodecError:
            logger.exception("Drafts of user %s cannot be stored", user_id)
            return
        if self._written.get(user_id) == text:
            return
        await drafts.save_drafts(self._db, user_id, None if text == "{}" else text, utcnow())
        self._written[user_id] = text

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a person's drafts."""
        if self._db is not None:
            await drafts.save_drafts(self._db, user_id, None, utcnow())
        self._written.pop(user_id, None)

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        """Chat data is not used."""

    async def update_bot_data(self, data: Any) -> None:
        """Bot data is not stored."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Callback data is not stored."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Chat data is not used."""

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """PTB asks before each callback; `prepare` already loaded the person."""

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        """Chat data is not used."""

    async def refresh_bot_data(self, bot_data: Any) -> None:
        """Bot data is not stored."""

    async def flush(self) -> None:
        """Every write is already committed."""


def _as_timedelta(timeout: float | timedelta) -> timedelta:
    """A ConversationHandler's timeout as a timedelta."""
    return timeout if isinstance(timeout, timedelta) else timedelta(seconds=timeout)


def persistent_conversations(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> list[ConversationHandler[Any]]:
    """The application's named, persistent ConversationHandlers (top level)."""
    return [
        handler
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, ConversationHandler) and handler.persistent and handler.name
    ]


def pending_conversation_writes(application: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    """Whether any persistent conversation changed a state PTB has not yet handed over."""
    return any(
        states._write_access_keys
        for states in application._conversation_handler_conversations.values()
    )


def conversation_states(application: Application[Any, Any, Any, Any, Any, Any], name: str) -> Any:
    """The live state dict of a persistent conversation (PTB's TrackingDict).

    PTB exposes no way to change one entry from outside, nor to ask whether one changed; this
    and `pending_conversation_writes` are the one place that reaches in, and
    tests/test_persistence.py fails if PTB moves either.
    """
    return application._conversation_handler_conversations[name]
