"""Telegram's flood limits as the sandbox enforces them: 429 with retry_after when exceeded."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FloodConfig:
    """The ceilings: global per second, private-chat rate and burst, group per minute."""

    global_per_second: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20


@dataclass
class _Bucket:
    """A token bucket for one private chat."""

    tokens: float
    stamp: float


@dataclass
class FloodControl:
    """Sliding windows (global, groups) and token buckets (private chats)."""

    config: FloodConfig = field(default_factory=FloodConfig)
    clock: Callable[[], float] = time.monotonic
    _global: deque[float] = field(default_factory=deque)
    _groups: dict[int, deque[float]] = field(default_factory=dict)
    _chats: dict[int, _Bucket] = field(default_factory=dict)

    def check(self, chat_id: int) -> int | None:
        """Count one message to `chat_id`; return retry_after seconds if over a limit."""
        now = self.clock()
        wait = max(self._global_wait(now), self._chat_wait(chat_id, now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._global.append(now)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)
        else:
            self._chats[chat_id].tokens -= 1
        return None

    def _global_wait(self, now: float) -> float:
        """Seconds until the global window has room."""
        window = self._global
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) < self.config.global_per_second:
            return 0.0
        return window[0] + 1.0 - now

    def _chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds until this chat may receive another message."""
        if chat_id < 0:
            window = self._groups.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            return 0.0 if len(window) < self.config.group_per_minute else window[0] + 60.0 - now
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _Bucket(float(self.config.chat_burst), now)
        rate = self.config.chat_per_second
        bucket.tokens = min(self.config.chat_burst, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / rate
