"""The sandbox's memory: chats, queued updates, sent messages, files, calls and faults."""

from __future__ import annotations

import asyncio
import bisect
import enum
import heapq
import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

# Telegram's default when allowed_updates was never given (or given empty): all but these.
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Past this many call records the oldest half is dropped: soak runs make millions of calls.
MAX_CALLS = 20_000


class FaultKind(enum.StrEnum):
    """How an injected fault answers a call."""

    ERROR = "error"  # an HTTP error with Telegram's body: `status` and `description`
    FLOOD = "flood"  # 429 "Too Many Requests" with `retry_after`
    TIMEOUT = "timeout"  # no answer at all, for `delay` seconds (the client's time-out fires)
    DROP = "drop"  # the connection is closed with no answer


@dataclass
class FaultRule:
    """Answer matching calls with a fault, `count` times or at `rate`.

    With `after`, the call takes effect first and only its answer is lost (a message that was
    delivered although the bot saw an error), as happens when a connection fails mid-answer.
    """

    method: str = "*"
    status: int = 502
    description: str = "Bad Gateway"
    count: int | None = None
    rate: float = 1.0
    delay: float = 0.0
    kind: FaultKind = FaultKind.ERROR
    retry_after: int = 1
    after: bool = False

    def __post_init__(self) -> None:
        """Accept the kind as its JSON string."""
        self.kind = FaultKind(self.kind)

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
class CallRecord:
    """One Bot API call as the sandbox answered it (getUpdates only when refused)."""

    seq: int
    method: str
    params: JSON
    status: int
    description: str | None = None
    retry_after: int | None = None
    at: float = field(default_factory=time.time)

    def to_json(self) -> JSON:
        """Serialise for the control interface."""
        return {
            "seq": self.seq,
            "method": self.method,
            "params": self.params,
            "ok": self.status == 200,
            "status": self.status,
            "description": self.description,
            "retry_after": self.retry_after,
            "at": self.at,
        }


@dataclass
class Inbound:
    """An update a simulated user caused, as queued for the bot."""

    seq: int
    update: JSON
    at: float = field(default_factory=time.time)


@dataclass
class Webhook:
    """The webhook set by setWebhook, and what its deliveries last met."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


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

    @property
    def file_unique_id(self) -> str:
        """Telegram's second identifier: stable, shorter, and not usable to send."""
        return "u" + self.file_id


@dataclass
class Store:
    """All mutable sandbox state, shared by the Bot API and the control interface."""

    bot_id: int
    bot_username: str
    seed: int = 0
    updates: list[JSON] = field(default_factory=list)
    chats: dict[int, JSON] = field(default_factory=dict)
    users: dict[int, JSON] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    messages: dict[tuple[int, int], JSON] = field(default_factory=dict)
    events: list[SentEvent] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    inbound: list[Inbound] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    faults: list[FaultRule] = field(default_factory=list)
    commands: dict[str, list[JSON]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    reply_keyboards: dict[int, JSON] = field(default_factory=dict)
    callbacks: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    webhook: Webhook | None = None
    allowed_updates: list[str] | None = None
    # The long poll currently waiting; a newer getUpdates terminates it, as Telegram does.
    poller: object | None = None
    closing: bool = False
    latency: float = 0.0
    confirmed_offset: int = 0
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _media_groups: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # One sequence for events, calls and inbound updates, so one cursor follows them all.
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

    def next_seq(self) -> int:
        """The next number on the shared sequence."""
        return next(self._seq)

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat, as in Telegram."""
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def next_media_group_id(self) -> str:
        """A fresh album id."""
        return f"{13_000_000_000 + next(self._media_groups)}"

    def new_file(self, content: bytes, file_name: str, mime_type: str) -> StoredFile:
        """Keep an uploaded file and give it an id."""
        stored = StoredFile(f"F{next(self._file_ids):06d}", content, file_name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    def is_allowed(self, update: JSON) -> bool:
        """Whether the current allowed_updates setting lets this kind of update through."""
        kind = next((key for key in update if key != "update_id"), "")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in NOT_DELIVERED_BY_DEFAULT

    async def push_update(self, update: JSON) -> int:
        """Queue an update for getUpdates or the webhook and wake whoever waits.

        As in Telegram, allowed_updates applies when an update is created: one of a kind the
        bot does not want is dropped (its id is still returned, and it is still in the feed).
        """
        update["update_id"] = update.get("update_id") or next(self._update_ids)
        async with self.changed:
            if self.is_allowed(update):
                self.updates.append(update)
            else:
                self.count("updates_filtered")
            self.inbound.append(Inbound(self.next_seq(), update))
            self.changed.notify_all()
        return int(update["update_id"])

    async def record(self, event: SentEvent) -> None:
        """Log what the bot did and wake control-side waiters."""
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    async def record_call(self, call: CallRecord) -> None:
        """Log one Bot API call and wake control-side waiters."""
        async with self.changed:
            self.calls.append(call)
            if len(self.calls) > MAX_CALLS:
                del self.calls[: MAX_CALLS // 2]
            self.changed.notify_all()

    async def wake(self) -> None:
        """Wake every waiter (a setting changed, or the server is closing)."""
        async with self.changed:
            self.changed.notify_all()

    def new_event(self, method: str, chat_id: int, **fields: Any) -> SentEvent:
        """Build an event with the next sequence number."""
        return SentEvent(seq=self.next_seq(), method=method, chat_id=chat_id, **fields)

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

    def feed_after(self, after: int, limit: int = 500) -> list[tuple[str, Any]]:
        """Events, calls and inbound updates with seq > after, merged in seq order."""

        def tail(items: list[Any]) -> Iterator[tuple[int, Any]]:
            start = bisect.bisect_right(items, after, key=lambda item: item.seq)
            return ((item.seq, item) for item in items[start:])

        merged = heapq.merge(
            ((seq, "event", item) for seq, item in tail(self.events)),
            ((seq, "call", item) for seq, item in tail(self.calls)),
            ((seq, "update", item) for seq, item in tail(self.inbound)),
        )
        return [(kind, item) for _, kind, item in itertools.islice(merged, limit)]

    def last_feed_seq(self) -> int:
        """The newest seq in the feed (0 when empty)."""
        tails = [items[-1].seq for items in (self.events, self.calls, self.inbound) if items]
        return max(tails, default=0)

    def chat_history(self, chat_id: int) -> list[JSON]:
        """Every message kept for one chat (the user's and the bot's), oldest first."""
        return sorted(
            (m for (cid, _), m in self.messages.items() if cid == chat_id),
            key=lambda m: int(m["message_id"]),
        )
