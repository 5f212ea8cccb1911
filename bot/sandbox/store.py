"""The sandbox's memory: chats, queued updates, sent messages, files and faults."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class FaultRule:
    """Answer matching calls with an HTTP error, or hang them, `count` times or at `rate`."""

    method: str = "*"
    status: int = 502
    description: str = "Bad Gateway"
    count: int | None = None
    rate: float = 1.0
    delay: float = 0.0

    def matches(self, method: str, rng: random.Random) -> bool:
        """Tell whether this call is hit, consuming one use when it is."""
        if self.method not in ("*", method) or (self.count is not None and self.count <= 0):
            return False
        if self.rate < 1.0 and rng.random() >= self.rate:
            return False
        if self.count is not None:
            self.count -= 1
        return True


@dataclass
class SentEvent:
    """One thing the bot did to a chat: a message sent, edited, or a callback answered."""

    seq: int
    method: str
    chat_id: int
    message_id: int | None
    text: str | None
    html: str | None
    reply_markup: JSON | None
    file_id: str | None = None
    file_name: str | None = None
    at: float = field(default_factory=time.time)

    def to_json(self) -> JSON:
        """Serialise for the control interface."""
        return {
            "seq": self.seq,
            "method": self.method,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "text": self.text,
            "html": self.html,
            "reply_markup": self.reply_markup,
            "file_id": self.file_id,
            "file_name": self.file_name,
            "at": self.at,
        }


@dataclass
class StoredFile:
    """A file uploaded by the bot or by a test, downloadable through getFile."""

    file_id: str
    content: bytes
    file_name: str
    mime_type: str

    @property
    def file_path(self) -> str:
        """The path under /file/bot<token>/."""
        return f"files/{self.file_id}/{self.file_name}"


@dataclass
class Store:
    """All mutable sandbox state, shared by the Bot API and the control interface."""

    bot_id: int
    bot_username: str
    seed: int = 0
    updates: list[JSON] = field(default_factory=list)
    chats: dict[int, JSON] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    messages: dict[tuple[int, int], JSON] = field(default_factory=dict)
    events: list[SentEvent] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    faults: list[FaultRule] = field(default_factory=list)
    commands: dict[str, list[JSON]] = field(default_factory=dict)
    callbacks: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    latency: float = 0.0
    confirmed_offset: int = 0
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def __post_init__(self) -> None:
        """Seed the fault dice so runs are repeatable."""
        self.rng = random.Random(self.seed)  # noqa: S311 - fault dice, not security

    @property
    def bot_user(self) -> JSON:
        """The bot as a Telegram User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Bình dân học vụ số",
            "username": self.bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def count(self, key: str, by: int = 1) -> None:
        """Increase a named counter."""
        self.counters[key] = self.counters.get(key, 0) + by

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat, as in Telegram."""
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def new_file(self, content: bytes, file_name: str, mime_type: str) -> StoredFile:
        """Keep an uploaded file and give it an id."""
        stored = StoredFile(f"F{next(self._file_ids):06d}", content, file_name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    async def push_update(self, update: JSON) -> int:
        """Queue an update for getUpdates and wake long-pollers."""
        update["update_id"] = update.get("update_id") or next(self._update_ids)
        async with self.changed:
            self.updates.append(update)
            self.changed.notify_all()
        return int(update["update_id"])

    async def record(self, event: SentEvent) -> None:
        """Log what the bot did and wake control-side waiters."""
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def new_event(self, method: str, chat_id: int, **fields: Any) -> SentEvent:
        """Build an event with the next sequence number."""
        return SentEvent(seq=next(self._seq), method=method, chat_id=chat_id, **fields)

    def take_updates(self, offset: int, limit: int) -> list[JSON]:
        """Drop confirmed updates (id < offset) and return up to `limit` of the rest."""
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return self.updates[:limit]

    def fault_for(self, method: str) -> FaultRule | None:
        """Return the first fault rule that hits this call, if any."""
        for rule in self.faults:
            if rule.matches(method, self.rng):
                return rule
        return None
