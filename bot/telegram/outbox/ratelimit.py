"""One send budget for all bot traffic: a PTB rate limiter that throttles before Telegram must."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# Only calls that put something into a chat count against Telegram's flood limits.
THROTTLED_ENDPOINTS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
CHAT_MARGIN = 0.05
# Consecutive sends are at least this share of the paced interval apart.
MIN_GAP_SHARE = 0.6
# Waiting for the window ends after this many rounds, however busy the bot is.
MAX_WINDOW_WAITS = 1000
# Per-chat slots older than this are forgotten, so memory does not grow with recipients.
PRUNE_EVERY = 1024


@dataclass(frozen=True)
class Limits:
    """The ceilings we keep under."""

    per_second: float = 29.0
    chat_interval: float = 1.0
    chat_burst: int = 1
    group_per_minute: int = 20
    max_retries: int = 3


class Gcra:
    """A generic cell-rate scheduler: reserve the next free slot, never more than `burst` early."""

    def __init__(self, interval: float, burst: int = 1) -> None:
        """`interval` seconds between slots; `burst` slots may be taken at once."""
        self.interval = interval
        self.tolerance = interval * (burst - 1)
        self.theoretical = 0.0

    def reserve(self, now: float) -> float:
        """Reserve a slot and return the time at which it may be used."""
        start = max(self.theoretical, now)
        self.theoretical = start + self.interval
        return max(now, start - self.tolerance)


class SlidingWindow:
    """At most `limit` events in any `span` seconds, counted at the moment they happen."""

    def __init__(self, limit: int, span: float) -> None:
        """An empty window."""
        self.limit = limit
        self.span = span
        self._times: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more event fits."""
        while self._times and self._times[0] <= now - self.span:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self._times[0] + self.span - now

    def add(self, now: float) -> None:
        """Count an event."""
        self._times.append(now)


class FloodRateLimiter(BaseRateLimiter[None]):
    """Global token bucket, ≥ interval per private chat, N/min per group, global pause on 429."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        """Set up empty schedules; nothing is shared across processes."""
        self.limits = limits
        self._clock = clock
        self._global = Gcra(1.0 / limits.per_second)
        # Pacing alone lets a stalled event loop release several sends at once; the window,
        # counted on actual send times, keeps any one second at or under the pace.
        self._window = SlidingWindow(max(1, math.floor(limits.per_second)), 1.0)
        self._min_gap = MIN_GAP_SHARE / limits.per_second
        self._last_start = -math.inf
        self._chats: dict[int, Gcra] = {}
        self._paused_until = 0.0
        self._reservations = 0
        self.retries_after_429 = 0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def _chat_schedule(self, chat_id: int) -> Gcra:
        """Return (creating) the schedule of one chat."""
        schedule = self._chats.get(chat_id)
        if schedule is None:
            if chat_id < 0:
                schedule = Gcra(60.0 / self.limits.group_per_minute)
            else:
                # A small margin: Telegram measures arrival times, and the network jitters.
                interval = (
                    self.limits.chat_interval + CHAT_MARGIN if self.limits.chat_interval else 0
                )
                schedule = Gcra(interval, self.limits.chat_burst)
            self._chats[chat_id] = schedule
        return schedule

    def _prune(self, now: float) -> None:
        """Forget chats whose slots are all in the past."""
        self._reservations += 1
        if self._reservations % PRUNE_EVERY == 0:
            stale = [cid for cid, gcra in self._chats.items() if gcra.theoretical < now]
            for chat_id in stale:
                del self._chats[chat_id]

    async def _sleep_until(self, moment: float) -> None:
        """Sleep until a clock time (no-op if it is past)."""
        delay = moment - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _wait_turn(self, chat_id: int | None) -> None:
        """Wait for the chat's slot first, then a global slot, then any 429 pause."""
        if chat_id is not None:
            now = self._clock()
            self._prune(now)
            await self._sleep_until(self._chat_schedule(chat_id).reserve(now))
        await self._sleep_until(self._paused_until)
        # The global slot is taken only once the chat is ready, so a waiting chat never
        # holds back messages to other chats.
        await self._sleep_until(self._global.reserve(self._clock()))
        await self._sleep_until(self._paused_until)
        await self._wait_for_window()

    async def _wait_for_window(self) -> None:
        """Respect the one-second window and a minimum gap, both on actual send times.

        After a stall the paced slots are all due at once; the gap spreads them out again so
        that network jitter cannot squeeze an extra message into Telegram's second.
        """
        for _ in range(MAX_WINDOW_WAITS):
            now = self._clock()
            delay = max(self._window.wait_time(now), self._last_start + self._min_gap - now)
            if delay <= 0:
                break
            await asyncio.sleep(delay)
        self._last_start = self._clock()
        self._window.add(self._last_start)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> JSONResult:
        """Throttle chat-bound calls; on 429 pause every sender for retry_after, then retry."""
        chat_id = _chat_id(data) if endpoint in THROTTLED_ENDPOINTS else None
        for attempt in range(self.limits.max_retries + 1):
            if endpoint in THROTTLED_ENDPOINTS:
                await self._wait_turn(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = retry_seconds(exc.retry_after)
                self._paused_until = max(self._paused_until, self._clock() + delay)
                self.retries_after_429 += 1
                logger.warning(
                    "Flood limit hit on %s; pausing all sends for %.1f s", endpoint, delay
                )
                if attempt == self.limits.max_retries:
                    raise
        raise AssertionError("unreachable")


def _chat_id(data: dict[str, Any]) -> int | None:
    """Return a numeric chat id, if the call has one."""
    value = data.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def retry_seconds(retry_after: Any) -> float:
    """RetryAfter.retry_after is int seconds or a timedelta depending on PTB settings."""
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)
